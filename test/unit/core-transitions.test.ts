// Unit tests of src/core/transitions.ts: the planners (planReached, planCreated, planAdded), moveTask's writes in
// the caller's transaction (status, event, reminders cancelled, deliveries, request completion) and the invariant
// that a refused transition writes nothing. Pure: the transaction is a recording fake of the DocumentTx port.
import type { TaskStatus } from '../../src/core/enums';
import { StateError } from '../../src/core/errors';
import type { OutboxRow } from '../../src/core/outbox';
import type { DocumentTx, EventRow, TaskRow } from '../../src/core/ports';
import type { NotificationRow } from '../../src/core/outbox';
import { moveTask, OutboxWrites, planAdded, planCreated, planReached } from '../../src/core/transitions';
import type { Schedule } from '../../src/core/types';

const AT = new Date('2026-12-01T10:00:00.000Z');
const R = 'req1';

function note(scope: string, id: string, schedule?: Schedule[], disabled = false): NotificationRow {
  return {
    requestId: R,
    scope,
    notificationId: id,
    disabled,
    body: { type: 'URL', notificationId: id, recipient: 'https://example.com/cb', message: 'm', schedule },
  } as NotificationRow;
}

function task(taskId: string, status: TaskStatus = 'created'): TaskRow {
  return {
    requestId: R,
    taskId,
    ordinal: 0,
    status,
    createdAt: AT.toISOString(),
    updatedAt: AT.toISOString(),
    expiresAt: '2026-12-31T10:00:00.000Z',
    body: { id: taskId, documentAction: [] },
    info: {},
  } as unknown as TaskRow;
}

/** Records every write; `allNotifications` answers from `notifications`. */
function fakeTx(notifications: NotificationRow[] = []) {
  const calls: Array<[string, unknown[]]> = [];
  const events: EventRow[] = [];
  const outbox: OutboxRow[] = [];
  const tx = {
    setTaskStatus: async (...a: unknown[]) => {
      calls.push(['setTaskStatus', a]);
    },
    cancelReminders: async (...a: unknown[]) => {
      calls.push(['cancelReminders', a]);
    },
    insertEvents: async (e: EventRow[]) => {
      calls.push(['insertEvents', [e]]);
      events.push(...e);
    },
    insertOutbox: async (rows: OutboxRow[]) => {
      calls.push(['insertOutbox', [rows]]);
      outbox.push(...rows);
    },
    allNotifications: async () => {
      calls.push(['allNotifications', []]);
      return notifications;
    },
    // the request has no packaging tasks (those are core-packaging.test.ts's)
    packagingTasks: async () => [],
  };
  return { tx: tx as unknown as DocumentTx, calls, events, outbox };
}

const key = (r: OutboxRow) => `${r.scope || '(request)'}/${r.notificationId}@${r.triggerState}${r.taskId ? ':' + r.taskId : ''}`;

describe('planReached', () => {
  const ns = [
    note('t1', 'own-created'),
    note('t1', 'own-completed', [{ stateIs: 'completed' }]),
    note('t2', 'other-task', [{ stateIs: 'completed' }]),
    note('', 'req-rejected', [{ stateIs: 'rejected' }]),
    note('', 'req-completed', [{ stateIs: 'completed' }]),
    note('t1', 'disabled', [{ stateIs: 'completed' }], true),
  ];

  test("the task's own schedules for that state, not other tasks' nor disabled ones", () => {
    expect(planReached(ns, 't1', 'completed', AT).map(key)).toEqual(['t1/own-completed@completed:t1']);
  });

  test('request-level schedules for a task state other than created/completed', () => {
    expect(planReached(ns, 't1', 'rejected', AT).map(key)).toEqual(['(request)/req-rejected@rejected:t1']);
  });

  test('nothing when nothing waits for the state', () => {
    expect(planReached(ns, 't1', 'expired', AT)).toEqual([]);
  });

  test('rows are due by their schedule and stable: the same trigger plans the same delivery id', () => {
    const delayed = [note('t1', 'reminder', [{ stateIs: 'created', wait: { hours: 2 } }])];
    const [a] = planReached(delayed, 't1', 'created', AT);
    expect(a.dueAt).toBe('2026-12-01T12:00:00.000Z');
    expect(a.createdAt).toBe(AT.toISOString());
    expect(planReached(delayed, 't1', 'created', new Date(AT.getTime() + 1000))[0].deliveryId).toBe(a.deliveryId);
  });
});

describe('planCreated', () => {
  const ns = [note('t1', 'n1'), note('t2', 'n2'), note('', 'req-created', [{ stateIs: 'created' }]), note('', 'req-plain')];

  test("tasks opened: each task's unscheduled notifications; the request's created schedules when it is new", () => {
    expect(planCreated(ns, ['t1', 't2'], AT, true).map(key).sort()).toEqual([
      '(request)/req-created@created',
      't1/n1@created:t1',
      't2/n2@created:t2',
    ]);
  });

  test('a task added to an existing request: only its own', () => {
    expect(planCreated(ns, ['t2'], AT, false).map(key)).toEqual(['t2/n2@created:t2']);
  });

  test('a request-level notification without a schedule waits for completion, not creation', () => {
    expect(planCreated(ns, [], AT, true).map(key)).toEqual(['(request)/req-created@created']);
  });
});

describe('planAdded', () => {
  test("a task notification added later is judged against the task's present state", () => {
    const n = note('t1', 'late', [{ stateIs: 'completed' }]);
    expect(planAdded(n, [task('t1', 'completed')], AT).map(key)).toEqual(['t1/late@completed:t1']);
    expect(planAdded(n, [task('t1', 'created')], AT)).toEqual([]);
    expect(planAdded(note('t1', 'plain'), [task('t1', 'created')], AT).map(key)).toEqual(['t1/plain@created:t1']);
  });

  test('a notification for an unknown task plans nothing', () => {
    expect(planAdded(note('t9', 'x'), [task('t1')], AT)).toEqual([]);
  });

  test('request level: its created schedules, and completion only when the request is completed', () => {
    const plain = note('', 'plain');
    expect(planAdded(plain, [task('t1', 'created')], AT)).toEqual([]);
    expect(planAdded(plain, [task('t1', 'completed'), task('t2', 'deleted')], AT).map(key)).toEqual(['(request)/plain@completed']);
    const created = note('', 'c', [{ stateIs: 'created' }]);
    expect(planAdded(created, [task('t1')], AT).map(key)).toEqual(['(request)/c@created']);
  });
});

describe('moveTask', () => {
  test('completing a task: status, reminders cancelled, its event, its deliveries, counted for the relay', async () => {
    const ns = [note('t1', 'done', [{ stateIs: 'completed' }])];
    const { tx, calls, events, outbox } = fakeTx(ns);
    const out = new OutboxWrites();
    const t1 = task('t1');
    await moveTask(tx, out, t1, [t1, task('t2')], 'completed', AT, 'signed');
    expect(calls.map((c) => c[0])).toEqual(['setTaskStatus', 'cancelReminders', 'insertEvents', 'allNotifications', 'insertOutbox']);
    expect(calls[0][1]).toEqual([R, 't1', 'completed', AT.toISOString()]);
    expect(calls[1][1]).toEqual([R, 't1', AT.toISOString()]);
    expect(events).toEqual([{ requestId: R, taskId: 't1', event: 'task-completed', eventTime: AT.toISOString(), data: 'signed' }]);
    expect(outbox.map(key)).toEqual(['t1/done@completed:t1']);
    expect(out.count).toBe(1);
    expect(t1.status).toBe('completed');
  });

  test('the last task to complete completes the request: its deliveries and an event saying so', async () => {
    const ns = [note('', 'req')];
    const { tx, events, outbox } = fakeTx();
    const out = new OutboxWrites();
    const t2 = task('t2');
    await moveTask(tx, out, t2, [task('t1', 'completed'), t2, task('t3', 'deleted')], 'completed', AT, undefined, ns);
    expect(outbox.map(key)).toEqual(['(request)/req@completed']);
    expect(events.map((e) => [e.taskId, e.event, e.data])).toEqual([
      ['t2', 'task-completed', undefined],
      [undefined, 'task-completed', 'all tasks of the request are completed'],
    ]);
  });

  test('notifications passed in are used without reading them again; no deliveries, no outbox write', async () => {
    const { tx, calls } = fakeTx();
    const out = new OutboxWrites();
    const t1 = task('t1');
    await moveTask(tx, out, t1, [t1, task('t2')], 'rejected', AT, 'no thanks', []);
    expect(calls.map((c) => c[0])).toEqual(['setTaskStatus', 'cancelReminders', 'insertEvents']);
    expect(out.count).toBe(0);
  });

  test('events: expired and failed leave an error event (the WSDL has no such event types), deleted none', async () => {
    for (const [to, data] of [
      ['expired', 'task expired: its days-to-live ran out at 2026-12-31T10:00:00.000Z'],
      ['failed', 'task failed'],
    ] as const) {
      const { tx, events } = fakeTx();
      const t = task('t1');
      await moveTask(tx, new OutboxWrites(), t, [t], to, AT, undefined, []);
      expect(events).toEqual([{ requestId: R, taskId: 't1', event: 'error', eventTime: AT.toISOString(), data }]);
    }
    const { tx, calls } = fakeTx();
    const t = task('t1', 'completed');
    await moveTask(tx, new OutboxWrites(), t, [t], 'deleted', AT, undefined, []);
    expect(calls.map((c) => c[0])).toEqual(['setTaskStatus', 'cancelReminders']);
  });

  test('the invariant: a refused transition throws a StateError naming the task and writes nothing', async () => {
    for (const [from, to] of [
      ['completed', 'rejected'],
      ['deleted', 'completed'],
      ['expired', 'created'],
      ['created', 'created'],
    ] as const) {
      const { tx, calls } = fakeTx([note('t1', 'n', [{ stateIs: to }])]);
      const out = new OutboxWrites();
      const t = task('t1', from);
      await expect(moveTask(tx, out, t, [t], to, AT)).rejects.toThrow(StateError);
      await expect(moveTask(tx, out, t, [t], to, AT)).rejects.toThrow(`task-id "t1": a ${from} task cannot become ${to}`);
      expect(calls).toEqual([]);
      expect(out.count).toBe(0);
      expect(t.status).toBe(from);
    }
  });
});

describe('OutboxWrites', () => {
  test('an empty batch is not written; batches are counted', async () => {
    const { tx, calls } = fakeTx();
    const out = new OutboxWrites();
    await out.insert(tx, []);
    expect(calls).toEqual([]);
    await out.insert(tx, planReached([note('t1', 'n')], 't1', 'created', AT));
    await out.insert(tx, planReached([note('t1', 'n')], 't1', 'created', AT));
    expect(out.count).toBe(2);
  });
});
