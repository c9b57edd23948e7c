// Every DocumentService v3 operation through node-soap clients generated from segl's own WSDL and
// from Signicat's reference WSDL (endpoint overridden), on each database this run covers. Each
// response payload is validated against the reference schema with xmllint.
import * as soap from 'soap';
import { databases, startServer, type TestServer } from '../support/server';
import { bodyPayload, NS, REFERENCE_WSDL, xmllintErrors } from '../support/soap';

type Client = soap.Client & Record<string, (args: unknown) => Promise<[any, string, unknown, string]>>;

const clients: Array<[string, (s: TestServer) => string]> = [
  ['segl WSDL', (s) => `${s.endpoint}?wsdl`],
  ['Signicat reference WSDL', () => REFERENCE_WSDL],
];

function doc(id: string, text: string) {
  return {
    attributes: { id, 'mime-type': 'text/plain', xsi_type: { type: 'provided-document', xmlns: NS } },
    data: Buffer.from(text).toString('base64'),
    description: `Document ${id}`,
  };
}

function signingRequest(clientReference: string) {
  return {
    language: 'en',
    subject: [
      { attributes: { id: 's1' }, 'national-id': '0101801234', 'first-name': 'Ann', 'last-name': 'Berg', email: 'ann@example.com' },
      { attributes: { id: 's2' }, 'first-name': 'Bo', 'last-name': 'Dahl' },
    ],
    document: [doc('d1', 'first document'), doc('d2', 'second document')],
    task: [
      {
        attributes: { id: 't1' },
        'subject-ref': 's1',
        'days-to-live': 10,
        'document-action': [
          { attributes: { type: 'sign', 'order-index': 1 }, 'document-ref': 'd1' },
          { attributes: { type: 'view', 'order-index': 2, optional: true }, 'document-ref': 'd2' },
        ],
        notification: [
          {
            attributes: { type: 'URL', 'notification-id': 'n1' },
            recipient: 'https://example.com/cb?token=x',
            message: 'ignored',
            schedule: [{ 'state-is': 'completed' }],
          },
        ],
        authentication: { attributes: { artifact: true }, method: ['nemid'] },
        'on-task-complete': 'https://example.com/done?requestId=${requestId}&taskId=${taskId}',
      },
      {
        attributes: { id: 't2' },
        'subject-ref': 's2',
        'document-action': [{ attributes: { type: 'sign' }, 'document-ref': 'd2' }],
        'depends-on-task': ['t1'],
        signature: [{ method: ['nemid-sign'] }],
      },
    ],
    'client-reference': clientReference,
    sender: { 'unique-id': 'sender-1', 'first-name': 'Sam' },
    notification: [
      { attributes: { type: 'EMAIL', 'notification-id': 'r1' }, recipient: 'office@example.com', header: 'Done', message: 'All signed' },
    ],
    'days-until-deletion': 5,
    'packaging-task': [
      {
        attributes: { 'packaging-task-id': 'p1', method: 'pades' },
        'packaging-task-document': [{ attributes: { 'task-id': 't1', 'document-id': 'd1' } }],
      },
    ],
  };
}

describe.each(databases())('DocumentService v3 on %s', (db) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer(db);
  });
  afterAll(async () => {
    await s.stop();
  });

  describe.each(clients)('through node-soap from the %s', (_label, wsdl) => {
    let c: Client;
    let auth: { service: string; password: string };
    let requestId: string;
    const ref = `ref-${_label.length}-${Date.now()}`;
    /** Calls an operation and checks its payload against the reference schema. */
    const call = async (op: string, args: Record<string, unknown>) => {
      const [result, raw] = await c[`${op}Async`]!({ ...auth, ...args });
      const payload = bodyPayload(raw);
      if (payload !== null) expect(await xmllintErrors(payload)).toBe('');
      return { result, payload, raw };
    };

    beforeAll(async () => {
      c = (await soap.createClientAsync(wsdl(s), { endpoint: s.endpoint })) as Client;
      auth = { service: 'demo', password: s.demoPassword };
    });

    test('createRequest returns a Signicat-shaped id and the artifact the task asked for', async () => {
      const { result } = await call('createRequest', { request: [signingRequest(ref)] });
      expect(result['request-id']).toHaveLength(1);
      requestId = result['request-id'][0];
      expect(requestId).toMatch(/^\d{8}[0-9a-z]{49,50}$/);
      const d = new Date();
      const ddmmyyyy = `${String(d.getUTCDate()).padStart(2, '0')}${String(d.getUTCMonth() + 1).padStart(2, '0')}${d.getUTCFullYear()}`;
      expect(requestId.slice(0, 8)).toBe(ddmmyyyy);
      expect(result.artifact).toMatch(/^[0-9a-z]{32}$/);
    });

    test('createRequest without an artifact task returns no artifact, one id per request in order', async () => {
      const a = signingRequest(`${ref}-a`);
      const b = signingRequest(`${ref}-b`);
      delete (a.task[0] as any).authentication;
      delete (b.task[0] as any).authentication;
      const { result, payload } = await call('createRequest', { request: [a, b] });
      expect(result['request-id']).toHaveLength(2);
      expect(result.artifact).toBeUndefined();
      expect(payload).not.toContain('<artifact>');
      const st = await call('getStatus', { 'request-id': result['request-id'] });
      expect(st.result['task-status-info'].map((i: any) => [i['request-id'], i['client-reference']])).toEqual([
        [result['request-id'][0], `${ref}-a`],
        [result['request-id'][0], `${ref}-a`],
        [result['request-id'][1], `${ref}-b`],
        [result['request-id'][1], `${ref}-b`],
      ]);
    });

    test('getRequest returns the request as created (subjects, typed documents, tasks in order)', async () => {
      const { result, payload } = await call('getRequest', { 'request-id': requestId });
      const r = result.request;
      expect(r.subject.map((x: any) => x.attributes.id)).toEqual(['s1', 's2']);
      expect(r.subject[0]['national-id']).toBe('0101801234');
      expect(r.document.map((x: any) => x.attributes.id)).toEqual(['d1', 'd2']);
      expect(payload).toContain('xsi:type="tns:provided-document"');
      expect(r.task.map((t: any) => t.attributes.id)).toEqual(['t1', 't2']);
      expect(r.task[1]['depends-on-task']).toEqual(['t1']);
      expect(r['client-reference']).toBe(ref);
      expect(r.sender['unique-id']).toBe('sender-1');
      expect(r['packaging-task'][0].attributes['packaging-task-id']).toBe('p1');
    });

    test('getTask returns one task with its actions, notifications and methods', async () => {
      const { result } = await call('getTask', { 'request-id': requestId, 'task-id': 't1' });
      expect(result.task.attributes.id).toBe('t1');
      expect(result.task['days-to-live']).toBe(10);
      expect(result.task['document-action'].map((a: any) => [a.attributes.type, a['document-ref']])).toEqual([
        ['sign', 'd1'],
        ['view', 'd2'],
      ]);
      expect(result.task.notification[0].attributes['notification-id']).toBe('n1');
      expect(result.task.authentication.method).toEqual(['nemid']);
      expect(result.task['on-task-complete']).toBe('https://example.com/done?requestId=${requestId}&taskId=${taskId}');
    });

    test('getStatus: one task-status-info per task with original-uri per document', async () => {
      const { result } = await call('getStatus', { 'request-id': [requestId] });
      const infos = result['task-status-info'];
      expect(infos.map((i: any) => [i['task-id'], i['task-status'], i['client-reference']])).toEqual([
        ['t1', 'created', ref],
        ['t2', 'created', ref],
      ]);
      expect(infos[0]['document-status'].map((d: any) => d.attributes.id)).toEqual(['d1', 'd2']);
      expect(infos[0]['document-status'][0]['original-uri']).toBe(`${s.url}/doc/demo/order/${requestId}/t1/d1/original`);
      expect(infos[0]['document-status'][0]['result-uri']).toBeUndefined();
    });

    test('setClientStatus answers with an empty Body and shows in getStatus', async () => {
      const { payload } = await call('setClientStatus', { 'request-id': requestId, 'task-id': 't2', 'client-status': 'reminded' });
      expect(payload).toBeNull();
      const { result } = await call('getStatus', { 'request-id': [requestId] });
      expect(result['task-status-info'][1]['client-status']).toBe('reminded');
    });

    test('getRequestHistory lists request-created with its time', async () => {
      const { result } = await call('getRequestHistory', { 'request-id': requestId, 'task-id': 't1' });
      const events = result.event;
      expect(events[0].event).toBe('request-created');
      expect(events[0].data).toBe(ref);
      expect(Math.abs(Date.parse(events[0]['event-time']) - Date.now())).toBeLessThan(60_000);
      expect(events.map((e: any) => e.event)).toEqual(['request-created']);
    });

    test('createArtifact returns a fresh value each call', async () => {
      const a = await call('createArtifact', { 'request-id': requestId, 'task-id': 't1' });
      const b = await call('createArtifact', { 'request-id': requestId, 'task-id': 't1' });
      expect(a.result.artifact).toMatch(/^[0-9a-z]{32}$/);
      expect(b.result.artifact).not.toBe(a.result.artifact);
      const rows = await s.rt.db.query('SELECT hash FROM artifact');
      expect(rows.map((r: any) => r.hash)).not.toContain(a.result.artifact); // stored hashed only
    });

    test('addNotification and disableNotification change a live request', async () => {
      const n = {
        attributes: { type: 'SMS', 'notification-id': 'sms-1' },
        recipient: '+4512345678',
        message: 'Please sign ${taskUrl}',
        schedule: [{ 'state-is': 'created', wait: { attributes: { days: 2 } } }],
      };
      expect((await call('addNotification', { 'request-id': requestId, 'task-id': 't2', notification: n })).payload).toBeNull();
      const t = await call('getTask', { 'request-id': requestId, 'task-id': 't2' });
      expect(t.result.task.notification).toBeUndefined(); // the task body is as created; notifications are live rows
      const rows = await s.rt.db.query(
        `SELECT notification_id, disabled FROM notification WHERE request_id = '${requestId}' AND scope = 't2'`,
      );
      expect(rows.map((r: any) => [r.notification_id, !!r.disabled])).toEqual([['sms-1', false]]);
      expect(
        (await call('disableNotification', { 'request-id': requestId, 'task-id': 't2', 'notification-id': ['sms-1'] })).payload,
      ).toBeNull();
      const after = await s.rt.db.query(`SELECT disabled FROM notification WHERE request_id = '${requestId}' AND scope = 't2'`);
      expect(!!after[0].disabled).toBe(true);
      await expect(c.addNotificationAsync!({ ...auth, 'request-id': requestId, 'task-id': 't2', notification: n })).rejects.toThrow(
        /already used/,
      );
      await expect(c.disableNotificationAsync!({ ...auth, 'request-id': requestId, 'notification-id': ['nope'] })).rejects.toThrow(
        /no notification "nope"/,
      );
    });

    test('addTask opens a new task (with artifact) and disableTask withdraws it', async () => {
      const task = {
        attributes: { id: 't3' },
        'document-action': [{ attributes: { type: 'view' }, 'document-ref': 'd1' }],
        authentication: { attributes: { artifact: true }, method: ['nemid'] },
        'depends-on-task': ['t1'],
      };
      const added = await call('addTask', { 'request-id': requestId, task });
      expect(added.result.artifact).toMatch(/^[0-9a-z]{32}$/);
      await expect(c.addTaskAsync!({ ...auth, 'request-id': requestId, task })).rejects.toThrow(/task "t3" already exists/);
      expect((await call('disableTask', { 'request-id': requestId, 'task-id': 't3' })).payload).toBeNull();
      const { result } = await call('getStatus', { 'request-id': [requestId] });
      expect(result['task-status-info'].map((i: any) => [i['task-id'], i['task-status']])).toEqual([
        ['t1', 'created'],
        ['t2', 'created'],
        ['t3', 'deleted'],
      ]);
      await expect(c.disableTaskAsync!({ ...auth, 'request-id': requestId, 'task-id': 't3' })).rejects.toThrow(
        /deleted task cannot become deleted/,
      );
    });

    test('findTasks and getTaskCount filter, page and sort', async () => {
      const filter = {
        criteria: [
          {
            field: 'client-reference',
            value: { $value: ref, attributes: { 'xsi:type': 'xsd:string', 'xmlns:xsd': 'http://www.w3.org/2001/XMLSchema' } },
            operator: 'equals',
          },
        ],
      };
      const { result } = await call('findTasks', { filter, 'from-index': 0, 'to-index': 100, 'sort-field': 'task-id', ascending: false });
      const tasks = result.task.map((t: any) => t.attributes);
      expect(tasks.map((t: any) => t['task-id'])).toEqual(['t3', 't2', 't1']);
      expect(tasks[2]).toMatchObject({
        'request-id': requestId,
        'subject-first-name': 'Ann',
        'subject-national-id': '0101801234',
        'task-status': 'created',
        'client-reference': ref,
        'document-id': 'd1',
        'sender-unique-id': 'sender-1',
        language: 'en',
      });
      expect(Number(tasks[2]['days-to-live'])).toBe(10);
      const page = await call('findTasks', { filter, 'from-index': 1, 'to-index': 2, 'sort-field': 'task-id', ascending: true });
      expect(page.result.task.map((t: any) => t.attributes['task-id'])).toEqual(['t2']);
      const count = await call('getTaskCount', { filter });
      expect(Number(count.result.count)).toBe(3);
    });

    test('createUserSession groups open tasks and returns an artifact', async () => {
      const { result } = await call('createUserSession', {
        'user-session': {
          language: 'en',
          'on-session-complete': 'https://example.com/s',
          'session-task': [{ attributes: { 'request-id': requestId, 'task-id': 't1', order: 1 } }],
        },
      });
      expect(result['user-session-id']).toMatch(/^\d{8}[0-9a-z]{49,50}$/);
      expect(result.artifact).toMatch(/^[0-9a-z]{32}$/);
      await expect(
        c.createUserSessionAsync!({
          ...auth,
          'user-session': { 'session-task': [{ attributes: { 'request-id': requestId, 'task-id': 't3', order: 1 } }] },
        }),
      ).rejects.toThrow(/no open task "t3"/);
    });

    test('getPackagingTaskStatus reports each packaging task', async () => {
      const { result } = await call('getPackagingTaskStatus', { 'request-id': [requestId] });
      expect(
        result['packaging-task-status-info'].map((p: any) => [p['request-id'], p['packaging-task-id'], p['packaging-task-status']]),
      ).toEqual([[requestId, 'p1', 'created']]);
    });

    test('deleteRequest counts what it deleted; the tasks show as deleted', async () => {
      const first = await call('deleteRequest', { 'request-id': [requestId, 'unknown-id'] });
      expect(first.result.deleted).toBe(1);
      const again = await call('deleteRequest', { 'request-id': [requestId] });
      expect(again.result.deleted).toBe(0);
      const { result } = await call('getStatus', { 'request-id': [requestId] });
      expect(result['task-status-info'].every((i: any) => i['task-status'] === 'deleted')).toBe(true);
    });

    test('a wrong password is a Client fault that names service and password', async () => {
      await expect(c.getStatusAsync!({ service: 'demo', password: 'wrong-password', 'request-id': ['x'] })).rejects.toThrow(
        /service, password: service or password is wrong/,
      );
    });
  });
});
