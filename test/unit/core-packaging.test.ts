// Unit tests of src/core/packagingtasks.ts: when a packaging task starts or fails (planPackaging,
// planRequestDeleted), which packaging-notifications its end fires (planPackagingEnd), how
// getPackagingTaskStatus shows it (packagingStatus), its stable package/job id, and the view task
// waiting for the package (core/portal.ts taskAccess). Pure.
import type { TaskStatus } from '../../src/core/enums';
import type { NotificationRow } from '../../src/core/outbox';
import {
  packageId,
  packagesShownBy,
  packagingRows,
  packagingStatus,
  planPackaging,
  planPackagingEnd,
  planRequestDeleted,
} from '../../src/core/packagingtasks';
import { portalTask, taskAccess } from '../../src/core/portal';
import type { PackagingTaskRow, RequestBody, RequestRow, TaskDocumentRow, TaskRow } from '../../src/core/ports';
import type { Schedule, Task } from '../../src/core/types';

const AT = new Date('2026-12-01T10:00:00.000Z');
const body: RequestBody = {
  document: [{ kind: 'packaging-result-document', id: 'pr1', refPackagingTaskId: 'p1' }],
  packagingTask: [
    {
      packagingTaskId: 'p1',
      method: 'pades',
      packagingTaskDocument: [
        { taskId: 't1', documentId: 'd1' },
        { taskId: 't2', documentId: 'd2' },
        { taskId: 't1', documentId: 'd3' },
      ],
    },
    { packagingTaskId: 'p2', method: 'pades', sendToArchive: true, packagingTaskDocument: [{ taskId: 't2', documentId: 'd2' }] },
  ],
};
const rows = (over: Partial<PackagingTaskRow> = {}) => packagingRows('r1', 7, body, AT.toISOString()).map((r) => ({ ...r, ...over }));
const states = (t1: TaskStatus, t2: TaskStatus) => [
  { taskId: 't1', status: t1 },
  { taskId: 't2', status: t2 },
];

describe('planPackaging', () => {
  test('new rows are created and waiting, one per packaging task, with their documents in order', () => {
    const [p1, p2] = rows();
    expect(p1).toMatchObject({ requestId: 'r1', serviceId: 7, status: 'created', job: 'waiting', attempts: 0, sendToArchive: false });
    expect(p1!.documents.map((d) => `${d.taskId}/${d.documentId}`)).toEqual(['t1/d1', 't2/d2', 't1/d3']);
    expect(p2!.sendToArchive).toBe(true);
  });

  test('starts a packaging task only when every task it names is completed', () => {
    expect(planPackaging(rows(), states('created', 'created'))).toEqual([]);
    expect(planPackaging(rows(), states('completed', 'created'))).toEqual([]);
    expect(planPackaging(rows(), states('created', 'completed'))).toEqual([{ kind: 'start', packagingTaskId: 'p2' }]);
    expect(planPackaging(rows(), states('completed', 'completed'))).toEqual([
      { kind: 'start', packagingTaskId: 'p1' },
      { kind: 'start', packagingTaskId: 'p2' },
    ]);
  });

  test.each<TaskStatus>(['rejected', 'expired', 'deleted', 'failed'])('fails at once when a named task ends %s', (s) => {
    expect(planPackaging(rows(), states('completed', s))).toEqual([
      {
        kind: 'fail',
        packagingTaskId: 'p1',
        code: 'task-not-completed',
        message: `task "t2" ended ${s}: its documents cannot be packaged`,
      },
      {
        kind: 'fail',
        packagingTaskId: 'p2',
        code: 'task-not-completed',
        message: `task "t2" ended ${s}: its documents cannot be packaged`,
      },
    ]);
  });

  test('rows already started or ended are left alone', () => {
    expect(planPackaging(rows({ job: 'pending' }), states('completed', 'completed'))).toEqual([]);
    expect(planPackaging(rows({ status: 'completed', job: 'done' }), states('completed', 'rejected'))).toEqual([]);
  });

  test('a deleted request fails every packaging task that has not ended', () => {
    const list = rows();
    list[1] = { ...list[1]!, status: 'completed', job: 'done' };
    expect(planRequestDeleted(list)).toEqual([
      { kind: 'fail', packagingTaskId: 'p1', code: 'request-deleted', message: 'the request was deleted' },
    ]);
  });
});

describe('planPackagingEnd', () => {
  const note = (scope: string, id: string, schedule?: Schedule[]): NotificationRow => ({
    requestId: 'r1',
    scope,
    notificationId: id,
    disabled: false,
    body: { type: 'URL', notificationId: id, recipient: 'https://example.com/cb', message: 'm', schedule },
  });
  const ns = [
    note('packaging:p1', 'any'),
    note('packaging:p1', 'done', [{ stateIs: 'completed' }]),
    note('packaging:p1', 'failed', [{ stateIs: 'failed' }]),
    note('packaging:p2', 'other'),
    note('t1', 'task'),
    note('', 'request'),
  ];
  const ids = (state: 'completed' | 'failed') => planPackagingEnd(ns, 'p1', state, AT).map((r) => `${r.notificationId}@${r.triggerState}`);

  test('completion fires the unscheduled ones and state-is completed, of this packaging task only', () => {
    expect(ids('completed')).toEqual(['any@completed', 'done@completed']);
  });
  test('failure fires the unscheduled ones and state-is failed', () => {
    expect(ids('failed')).toEqual(['any@failed', 'failed@failed']);
  });
  test('deliveries are request-level (no task id) with stable ids', () => {
    const [a] = planPackagingEnd(ns, 'p1', 'completed', AT);
    expect(a).toMatchObject({ requestId: 'r1', taskId: undefined, scope: 'packaging:p1', dueAt: AT.toISOString() });
    expect(planPackagingEnd(ns, 'p1', 'completed', new Date(AT.getTime() + 1000))[0]!.deliveryId).toBe(a!.deliveryId);
  });
});

describe('packagingStatus', () => {
  const uri = (kind: string, id: string) => `https://segl.test/doc/demo/${kind}/${id}`;
  test('one entry per packaging task in request order; a completed one names its package', () => {
    const list = rows();
    list[0] = { ...list[0]!, status: 'completed', job: 'done', result: { kind: 'sds', id: 'S1', blobKey: 'k', sha256: 'h' } };
    list[1] = { ...list[1]!, status: 'failed', job: 'done', error: { code: 'x', message: 'y' } };
    expect(packagingStatus('r1', body, list.reverse(), uri)).toEqual([
      {
        requestId: 'r1',
        packagingTaskId: 'p1',
        packagingTaskStatus: 'completed',
        packagingDocumentStatus: [{ id: 'p1', resultUri: 'https://segl.test/doc/demo/sds/S1' }],
      },
      { requestId: 'r1', packagingTaskId: 'p2', packagingTaskStatus: 'failed', packagingDocumentStatus: [] },
    ]);
  });
  test('a packaging task without a row (stored before packaging existed) shows as created', () => {
    expect(packagingStatus('r1', body, [], uri).map((x) => x.packagingTaskStatus)).toEqual(['created', 'created']);
  });
});

test('packageId is stable per request and packaging task and a valid BullMQ job id', () => {
  expect(packageId('r1', 'p1')).toBe(packageId('r1', 'p1'));
  expect(packageId('r1', 'p1')).not.toBe(packageId('r1', 'p2'));
  expect(packageId('r1', 'p1')).not.toBe(packageId('r2', 'p1'));
  expect(packageId('r1', 'p1')).toMatch(/^p[0-9a-f]{40}$/);
});

describe('a task showing a package', () => {
  const viewer: Task = { id: 't3', documentAction: [{ type: 'view', documentRef: 'pr1' }] };
  const inline: Task = {
    id: 't4',
    documentAction: [{ type: 'view', document: { kind: 'packaging-result-document', id: 'x', refPackagingTaskId: 'p2' } }],
  };
  const request = { id: 'r1', deleted: false, body } as RequestRow;
  const row = (t: Task) => ({ requestId: 'r1', taskId: t.id, status: 'created', body: t }) as TaskRow;

  test('packagesShownBy finds packaging-result-documents by ref and inline', () => {
    expect(packagesShownBy(body, viewer)).toEqual(['p1']);
    expect(packagesShownBy(body, inline)).toEqual(['p2']);
    expect(packagesShownBy(body, { id: 't1', documentAction: [{ type: 'sign', documentRef: 'd1' }] })).toEqual([]);
  });

  test('waits until the packaging task has completed (and keeps waiting if it failed)', () => {
    expect(taskAccess(request, row(viewer), [])).toEqual({ kind: 'waiting', waitingFor: ['packaging-task p1'] });
    expect(taskAccess(request, row(viewer), [], new Map([['p1', 'failed']]))).toEqual({
      kind: 'waiting',
      waitingFor: ['packaging-task p1'],
      failedPackages: ['p1'],
    });
    expect(taskAccess(request, row(viewer), [], new Map([['p1', 'completed']]))).toEqual({ kind: 'open' });
  });

  test('the portal knows a packaging-result-document (by ref and inline) by its packaging task', () => {
    const docRow = (taskId: string, documentId: string): TaskDocumentRow => ({
      requestId: 'r1',
      taskId,
      documentId,
      ordinal: 0,
      actionType: 'view',
    });
    const docs = [docRow('t3', 'pr1'), docRow('t4', 'x')];
    expect(portalTask(request, row(viewer), [], docs).documents.map((d) => [d.id, d.packagingTaskId])).toEqual([['pr1', 'p1']]);
    expect(portalTask(request, row(inline), [], docs).documents.map((d) => [d.id, d.packagingTaskId])).toEqual([['x', 'p2']]);
    const plain: Task = { id: 't1', documentAction: [{ type: 'sign', documentRef: 'd1' }] };
    expect(
      portalTask(request, row(plain), [], [{ ...docRow('t1', 'd1'), actionType: 'sign' }]).documents[0]!.packagingTaskId,
    ).toBeUndefined();
  });
});
