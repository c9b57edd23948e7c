// Unit tests of src/core/dag.ts, src/core/ids.ts and src/core/status.ts.
import { createHash } from 'node:crypto';
import { ancestors, findCycle, isOpen } from '../../src/core/dag';
import { TASK_STATUSES, type TaskStatus } from '../../src/core/enums';
import { StateError } from '../../src/core/errors';
import { ARTIFACT_TTL_MS, hashArtifact, newArtifact, newSignicatId, randomAlnum, SIGNICAT_ID } from '../../src/core/ids';
import { canMove, DEFAULT_DAYS_TO_LIVE, move, requestCompleted } from '../../src/core/status';

const graph = (o: Record<string, string[]>) => new Map(Object.entries(o));

describe('findCycle', () => {
  test('acyclic graphs give null', () => {
    expect(findCycle(new Map())).toBeNull();
    expect(findCycle(graph({ a: [], b: ['a'], c: ['a', 'b'], d: ['b', 'c'] }))).toBeNull();
  });

  test('a self loop', () => {
    expect(findCycle(graph({ a: [], b: ['b'] }))).toEqual(['b', 'b']);
  });

  test('a 2-cycle', () => {
    expect(findCycle(graph({ a: ['b'], b: ['a'] }))).toEqual(['a', 'b', 'a']);
  });

  test('a 3-cycle', () => {
    expect(findCycle(graph({ a: ['b'], b: ['c'], c: ['a'] }))).toEqual(['a', 'b', 'c', 'a']);
  });

  test('the cycle excludes the path that led into it', () => {
    expect(findCycle(graph({ a: ['b'], b: ['c'], c: ['d'], d: ['b'] }))).toEqual(['b', 'c', 'd', 'b']);
  });

  test('edges to unknown nodes are ignored', () => {
    expect(findCycle(graph({ a: ['x'], b: ['a', 'y'] }))).toBeNull();
    expect(findCycle(graph({ a: ['x', 'b'], b: ['a'] }))).toEqual(['a', 'b', 'a']);
  });
});

describe('ancestors', () => {
  test('is transitive and excludes the start', () => {
    const g = graph({ t1: [], t2: ['t1'], t3: ['t2'], t4: ['t3', 't1'], t5: [] });
    expect([...ancestors(g, 't4')].sort()).toEqual(['t1', 't2', 't3']);
    expect([...ancestors(g, 't2')]).toEqual(['t1']);
    expect(ancestors(g, 't1').size).toBe(0);
    expect(ancestors(g, 't5').size).toBe(0);
  });

  test('unknown start and unknown targets', () => {
    expect(ancestors(graph({ a: ['b'] }), 'zz').size).toBe(0);
    expect([...ancestors(graph({ a: ['ghost'] }), 'a')]).toEqual(['ghost']);
  });

  test('terminates on a cycle', () => {
    expect([...ancestors(graph({ a: ['b'], b: ['c'], c: ['b'] }), 'a')].sort()).toEqual(['b', 'c']);
  });
});

describe('isOpen', () => {
  test('open when every dependency is completed', () => {
    expect(isOpen(undefined, new Set())).toBe(true);
    expect(isOpen([], new Set())).toBe(true);
    expect(isOpen(['t1', 't2'], new Set(['t1', 't2', 't3']))).toBe(true);
    expect(isOpen(['t1', 't2'], new Set(['t1']))).toBe(false);
    expect(isOpen(['t1'], new Set())).toBe(false);
  });
});

describe('ids', () => {
  test('newSignicatId: DDMMYYYY of the UTC date, then 49-50 of [0-9a-z]', () => {
    const lengths = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const id = newSignicatId(new Date(Date.UTC(2024, 0, 5, 12)));
      expect(id).toMatch(SIGNICAT_ID);
      expect(id.slice(0, 8)).toBe('05012024');
      expect(id.slice(8)).toMatch(/^[0-9a-z]{49,50}$/);
      expect(id.length === 57 || id.length === 58).toBe(true);
      lengths.add(id.length);
    }
    expect([...lengths].sort()).toEqual([57, 58]);
  });

  test('newSignicatId uses the UTC date, not local time', () => {
    expect(newSignicatId(new Date('2024-12-31T23:59:59.999Z')).slice(0, 8)).toBe('31122024');
    expect(newSignicatId(new Date('2025-01-01T00:00:00+05:00')).slice(0, 8)).toBe('31122024');
    expect(newSignicatId(new Date('2024-02-29T00:00:00Z')).slice(0, 8)).toBe('29022024');
  });

  test('SIGNICAT_ID rejects other shapes', () => {
    const tail = 'a'.repeat(49);
    expect(SIGNICAT_ID.test(`05012024${tail}`)).toBe(true);
    expect(SIGNICAT_ID.test(`05012024${tail}b`)).toBe(true);
    expect(SIGNICAT_ID.test(`05012024${tail}bc`)).toBe(false);
    expect(SIGNICAT_ID.test(`05012024${'a'.repeat(48)}`)).toBe(false);
    expect(SIGNICAT_ID.test(`05012024${'A'.repeat(49)}`)).toBe(false);
    expect(SIGNICAT_ID.test(`32012024${tail}`)).toBe(false);
    expect(SIGNICAT_ID.test(`05132024${tail}`)).toBe(false);
    expect(SIGNICAT_ID.test(`00012024${tail}`)).toBe(false);
  });

  test('1000 ids are all distinct', () => {
    const now = new Date();
    const ids = new Set(Array.from({ length: 1000 }, () => newSignicatId(now)));
    expect(ids.size).toBe(1000);
  });

  test('randomAlnum gives exactly count characters of [0-9a-z]', () => {
    expect(randomAlnum(0)).toBe('');
    expect(randomAlnum(1)).toMatch(/^[0-9a-z]$/);
    expect(randomAlnum(1000)).toMatch(/^[0-9a-z]{1000}$/);
  });

  test('randomAlnum is roughly uniform over the 36 characters', () => {
    const n = 36 * 2000;
    const s = randomAlnum(n);
    expect(s).toHaveLength(n);
    const counts = new Map<string, number>();
    for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect([...counts.keys()].sort().join('')).toBe('0123456789abcdefghijklmnopqrstuvwxyz');
    const expected = n / 36;
    let chi2 = 0;
    for (const c of counts.values()) {
      chi2 += (c - expected) ** 2 / expected;
      expect(Math.abs(c - expected)).toBeLessThan(300); // sd ≈ 44
    }
    // 35 degrees of freedom: mean 35, sd ≈ 8.4; 120 is far beyond any fair outcome.
    expect(chi2).toBeLessThan(120);
  });

  test('newArtifact is 32 characters of [0-9a-z] and unique', () => {
    const a = newArtifact();
    expect(a).toMatch(/^[0-9a-z]{32}$/);
    expect(new Set(Array.from({ length: 100 }, newArtifact)).size).toBe(100);
    expect(ARTIFACT_TTL_MS).toBe(30_000);
  });

  test('hashArtifact is sha256 hex', () => {
    expect(hashArtifact('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const a = newArtifact();
    expect(hashArtifact(a)).toBe(createHash('sha256').update(a).digest('hex'));
    expect(hashArtifact(a)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('status', () => {
  const FINAL: TaskStatus[] = ['completed', 'rejected', 'expired', 'deleted', 'failed'];
  const allowed: Record<TaskStatus, TaskStatus[]> = {
    created: FINAL,
    completed: ['deleted'],
    rejected: ['deleted'],
    expired: ['deleted'],
    failed: ['deleted'],
    deleted: [],
  };

  test('canMove follows the table for every pair', () => {
    for (const from of TASK_STATUSES) {
      for (const to of TASK_STATUSES) {
        expect([from, to, canMove(from, to)]).toEqual([from, to, allowed[from].includes(to)]);
      }
    }
    expect(canMove('created', 'created')).toBe(false);
    expect(canMove('deleted', 'created')).toBe(false);
    expect(canMove('completed', 'created')).toBe(false);
  });

  test('move returns the new status when allowed', () => {
    expect(move('request-id/r1/task/t1', 'created', 'completed')).toBe('completed');
    expect(move('request-id/r1/task/t1', 'completed', 'deleted')).toBe('deleted');
  });

  test('move throws a StateError naming the task path', () => {
    let thrown: unknown;
    try {
      move('request/r1/task/t1', 'completed', 'rejected');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(StateError);
    expect((thrown as StateError).path).toBe('request/r1/task/t1');
    expect((thrown as StateError).message).toBe('request/r1/task/t1: a completed task cannot become rejected');
    expect(() => move('t9', 'deleted', 'deleted')).toThrow('t9: a deleted task cannot become deleted');
  });

  test('requestCompleted ignores deleted tasks', () => {
    expect(requestCompleted(['completed'])).toBe(true);
    expect(requestCompleted(['completed', 'deleted', 'completed'])).toBe(true);
    expect(requestCompleted(['completed', 'created'])).toBe(false);
    expect(requestCompleted(['completed', 'rejected'])).toBe(false);
    expect(requestCompleted(['expired', 'deleted'])).toBe(false);
  });

  test('requestCompleted is false for no tasks and for all-deleted', () => {
    expect(requestCompleted([])).toBe(false);
    expect(requestCompleted(['deleted'])).toBe(false);
    expect(requestCompleted(['deleted', 'deleted'])).toBe(false);
  });

  test('default days-to-live is 30', () => {
    expect(DEFAULT_DAYS_TO_LIVE).toBe(30);
  });
});
