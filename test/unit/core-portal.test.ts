// Unit tests of src/core/portal.ts: whether a task URL may be worked on (taskAccess), the task as the signer sees
// it (portalTask), redirect placeholders, and what still blocks Send in (unreadMandatory, missingUploads). Pure.
import type { TaskStatus } from '../../src/core/enums';
import { missingUploads, portalTask, redirectUrl, taskAccess, unreadMandatory, type PortalTask } from '../../src/core/portal';
import type { RequestRow, TaskDocumentRow, TaskRow } from '../../src/core/ports';
import type { Task } from '../../src/core/types';

const NOW = '2026-12-01T10:00:00.000Z';

function request(over: Partial<RequestRow> = {}, body: Record<string, unknown> = {}): RequestRow {
  return {
    id: 'r1',
    serviceId: 1,
    createdAt: NOW,
    updatedAt: NOW,
    deleted: false,
    body: { task: [], ...body },
    ...over,
  } as unknown as RequestRow;
}

function task(taskId: string, status: TaskStatus = 'created', body: Partial<Task> = {}): TaskRow {
  return {
    requestId: 'r1',
    taskId,
    ordinal: 0,
    status,
    createdAt: NOW,
    updatedAt: NOW,
    expiresAt: NOW,
    body: { id: taskId, documentAction: [], ...body },
    info: {},
  } as unknown as TaskRow;
}

function doc(documentId: string, ordinal: number, actionType = 'sign', over: Partial<TaskDocumentRow> = {}): TaskDocumentRow {
  return { requestId: 'r1', taskId: 't1', documentId, ordinal, actionType, ...over };
}

describe('taskAccess', () => {
  test('an open task with no dependencies is open', () => {
    const t = task('t1');
    expect(taskAccess(request(), t, [t])).toEqual({ kind: 'open' });
  });

  test('depends-on-task: waiting for every dependency not yet completed, open when all are', () => {
    const t = task('t3', 'created', { dependsOnTask: ['t1', 't2'] });
    expect(taskAccess(request(), t, [task('t1', 'completed'), task('t2'), t])).toEqual({ kind: 'waiting', waitingFor: ['t2'] });
    expect(taskAccess(request(), t, [task('t1', 'rejected'), task('t2'), t])).toEqual({ kind: 'waiting', waitingFor: ['t1', 't2'] });
    expect(taskAccess(request(), t, [task('t1', 'completed'), task('t2', 'completed'), t])).toEqual({ kind: 'open' });
  });

  test('closed tasks stay closed whatever their dependencies; deleted tasks and requests are withdrawn', () => {
    for (const s of ['completed', 'rejected', 'expired', 'failed'] as const) {
      expect(taskAccess(request(), task('t1', s), [])).toEqual({ kind: 'closed', status: s });
    }
    expect(taskAccess(request(), task('t1', 'deleted'), [])).toEqual({ kind: 'closed', status: 'withdrawn' });
    expect(taskAccess(request({ deleted: true }), task('t1'), [])).toEqual({ kind: 'closed', status: 'withdrawn' });
  });
});

describe('portalTask', () => {
  const body: Partial<Task> = {
    subjectRef: 's1',
    dialog: { title: 'Sign', message: 'Please' },
    authentication: { artifact: true, method: ['nemid'] },
    documentAction: [
      { type: 'sign', documentRef: 'b', optional: true, dialog: { title: 'B' } },
      { type: 'sign', document: { id: 'a' } as never },
      { type: 'upload', documentRef: 'u' },
    ],
    signText: 'I agree',
    onTaskComplete: 'https://x/done?r=${requestId}',
    signature: [{ method: [{ value: 'nemid-sign' }] }],
    authenticationBasedSignature: [{ method: [{ value: 'nemid' }] }],
  };
  const req = request({ clientReference: 'ref-7' }, { language: 'da', profile: 'p', subject: [{ id: 's1', nationalId: '0101011234' }] });
  const docs = [doc('u', 2, 'upload'), doc('b', 1, 'sign', { resultUri: 'https://x/sdo' }), doc('a', 0), { ...doc('z', 0), taskId: 't2' }];

  test('what the signer sees: fields from the task, the request as fallback, documents in order with their action', () => {
    const t = task('t1', 'created', body);
    const p = portalTask(req, t, [t], docs, new Set(['u']));
    expect(p).toMatchObject({
      requestId: 'r1',
      taskId: 't1',
      status: 'created',
      access: { kind: 'open' },
      dialog: { title: 'Sign', message: 'Please' },
      language: 'da',
      profile: 'p',
      authentication: ['nemid'],
      artifactAllowed: true,
      nationalId: '0101011234',
      bundle: true,
      signText: 'I agree',
      redirects: { complete: 'https://x/done?r=${requestId}' },
      signatureMethods: ['nemid-sign', 'nemid'],
      clientReference: 'ref-7',
    });
    expect(p.documents.map((d) => [d.id, d.order, d.action, d.signed, d.optional, d.uploaded])).toEqual([
      ['a', 0, 'sign', false, false, false],
      ['b', 1, 'sign', true, true, false],
      ['u', 2, 'upload', false, false, true],
    ]);
    expect(p.documents[1].dialog).toEqual({ title: 'B' });
  });

  test("the task's own language, profile, subject and bundle win; nothing required when no authentication", () => {
    const t = task('t1', 'created', { language: 'sv', profile: 'own', bundle: false, subject: { nationalId: '0202022345' } });
    const p = portalTask(req, t, [t], []);
    expect(p).toMatchObject({
      language: 'sv',
      profile: 'own',
      bundle: false,
      nationalId: '0202022345',
      authentication: [],
      artifactAllowed: false,
    });
    expect(p.signatureMethods).toEqual([]);
  });
});

describe('redirectUrl', () => {
  test('placeholders replaced raw and %-encoded, the ids URL-encoded, others left', () => {
    expect(redirectUrl('https://x/?r=${requestId}&t=${taskId}&o=${other}', 'r 1', 't/1')).toBe('https://x/?r=r%201&t=t%2F1&o=${other}');
    expect(redirectUrl('https://x/%24%7BrequestId%7D/%24%7btaskId%7d', 'r1', 't1')).toBe('https://x/r1/t1');
  });
});

describe('unreadMandatory and missingUploads', () => {
  const p = (documents: Array<Partial<PortalTask['documents'][number]> & { id: string }>): PortalTask =>
    ({
      documents: documents.map((d) => ({ action: 'sign', order: 0, signed: false, optional: false, uploaded: false, ...d })),
    }) as PortalTask;

  test('every unsigned, unviewed document blocks Send in unless it is optional and skipped; uploads do not', () => {
    const t = p([{ id: 'a' }, { id: 'b', optional: true }, { id: 'c', signed: true }, { id: 'd' }, { id: 'u', action: 'upload' }]);
    expect(unreadMandatory(t, new Set(), new Set()).map((d) => d.id)).toEqual(['a', 'b', 'd']);
    expect(unreadMandatory(t, new Set(['a']), new Set(['b', 'd'])).map((d) => d.id)).toEqual(['d']);
    expect(unreadMandatory(t, new Set(['a', 'd']), new Set(['b'])).map((d) => d.id)).toEqual([]);
  });

  test('uploads still without their file, optional ones excepted', () => {
    const t = p([
      { id: 'u1', action: 'upload' },
      { id: 'u2', action: 'upload', uploaded: true },
      { id: 'u3', action: 'upload', optional: true },
      { id: 'a' },
    ]);
    expect(missingUploads(t).map((d) => d.id)).toEqual(['u1']);
  });
});
