// Pure parts of notifications: which deliveries a trigger plans (and their stable ids), placeholders,
// callback URLs, retry schedules, the callback allowlist and the webhook signature.
import * as nodeCrypto from 'node:crypto';
import {
  callbackUrl,
  DEFAULT_RETRY_SCHEDULE,
  expandPlaceholders,
  parseDuration,
  parseRetrySchedule,
  planDeliveries,
} from '../../src/core/outbox';
import type { NotificationRow } from '../../src/core/outbox';
import { checkDestination, isSpecialAddress, parseAllowPattern, parseAllowPatterns } from '../../src/notify/allowlist';
import { signWebhook, verifyWebhook } from '../../src/notify/signature';

const AT = new Date('2026-11-28T10:00:00.000Z');
const n = (scope: string, id: string, schedule?: NotificationRow['body']['schedule'], disabled = false): NotificationRow => ({
  requestId: 'r1',
  scope,
  notificationId: id,
  disabled,
  body: { type: 'URL', notificationId: id, recipient: 'https://x.example/cb', message: 'm', schedule },
});

describe('planDeliveries', () => {
  const all = [
    n('t1', 'invite'),
    n('t1', 'remind', [{ stateIs: 'created', wait: { days: 2 } }, { stateIs: 'completed' }]),
    n('t2', 'other'),
    n('', 'req-done'),
    n('', 'req-created', [{ stateIs: 'created' }]),
    n('', 'req-rejected', [{ stateIs: 'rejected' }]),
    n('t1', 'off', undefined, true),
  ];

  test('a task reaching created: its unscheduled notifications now, its created schedules when due; disabled ones never', () => {
    const rows = planDeliveries(all, { kind: 'task', taskId: 't1', state: 'created' }, AT);
    expect(rows.map((r) => [r.notificationId, r.dueAt, r.taskId, r.triggerState])).toEqual([
      ['invite', '2026-11-28T10:00:00.000Z', 't1', 'created'],
      ['remind', '2026-11-30T10:00:00.000Z', 't1', 'created'],
    ]);
  });

  test('a task reaching completed: only schedules with state-is completed', () => {
    expect(planDeliveries(all, { kind: 'task', taskId: 't1', state: 'completed' }, AT).map((r) => r.notificationId)).toEqual(['remind']);
    expect(planDeliveries(all, { kind: 'task', taskId: 't1', state: 'expired' }, AT)).toEqual([]);
  });

  test('request level: created schedules at creation, unscheduled ones at completion, task states for any task', () => {
    expect(planDeliveries(all, { kind: 'request-created' }, AT).map((r) => r.notificationId)).toEqual(['req-created']);
    expect(planDeliveries(all, { kind: 'request-completed' }, AT).map((r) => [r.notificationId, r.taskId])).toEqual([
      ['req-done', undefined],
    ]);
    expect(
      planDeliveries(all, { kind: 'request-task', taskId: 't2', state: 'rejected' }, AT).map((r) => [r.notificationId, r.taskId]),
    ).toEqual([['req-rejected', 't2']]);
    expect(planDeliveries(all, { kind: 'request-task', taskId: 't2', state: 'completed' }, AT)).toEqual([]);
  });

  test('delivery ids are stable for the same trigger and differ between triggers, schedules and tasks', () => {
    const a = planDeliveries(all, { kind: 'task', taskId: 't1', state: 'created' }, AT);
    const b = planDeliveries(all, { kind: 'task', taskId: 't1', state: 'created' }, new Date(AT.getTime() + 5000));
    expect(a.map((r) => r.deliveryId)).toEqual(b.map((r) => r.deliveryId));
    const ids = [
      ...a,
      ...planDeliveries(all, { kind: 'task', taskId: 't1', state: 'completed' }, AT),
      ...planDeliveries(all, { kind: 'request-task', taskId: 't1', state: 'rejected' }, AT),
      ...planDeliveries(all, { kind: 'request-task', taskId: 't2', state: 'rejected' }, AT),
    ].map((r) => r.deliveryId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^d[0-9a-f]{40}$/);
  });
});

describe('placeholders and callback URLs', () => {
  test('${taskUrl}, ${requestId} and ${taskId} are filled in; other ${…} stay as written', () => {
    expect(
      expandPlaceholders('Go ${taskUrl} for ${requestId}/${taskId}, ${other} $taskId', {
        taskUrl: 'https://s/t',
        requestId: 'R',
        taskId: 'T',
      }),
    ).toBe('Go https://s/t for R/T, ${other} $taskId');
    expect(expandPlaceholders('${taskId}|${taskUrl}', { requestId: 'R' })).toBe('|');
  });

  test("requestId and taskId are appended; the caller's query (a secret token) and fragment-free path stay", () => {
    expect(callbackUrl('https://x.example/cb?token=a%20b&requestId=mine', 'R1', 'T1').href).toBe(
      'https://x.example/cb?token=a+b&requestId=mine&requestId=R1&taskId=T1',
    );
    expect(callbackUrl('https://x.example/cb', 'R1', undefined).href).toBe('https://x.example/cb?requestId=R1');
  });
});

describe('durations and retry schedules', () => {
  test.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['1m', 60_000],
    ['2h', 7_200_000],
    ['3d', 259_200_000],
    [' 5m ', 300_000],
  ])('%s', (s, ms) => {
    expect(parseDuration(s)).toBe(ms);
  });
  test.each(['', '10', 'm', '1.5h', '-1m', '10 minutes', '1w'])('"%s" is not a duration', (s) => {
    expect(parseDuration(s)).toBeNaN();
  });
  test('the published default schedule and a custom one; a bad entry is named', () => {
    expect(DEFAULT_RETRY_SCHEDULE.map((ms) => ms / 1000)).toEqual([10, 60, 300, 1800, 7200, 21600, 43200, 86400, 172800, 259200]);
    expect(parseRetrySchedule('10s,1m,5m')).toEqual([10_000, 60_000, 300_000]);
    expect(() => parseRetrySchedule('10s,soon,5m')).toThrow('"soon" is not a duration such as 10s, 5m, 2h or 1d');
    expect(() => parseRetrySchedule('0s')).toThrow('"0s" is not a duration');
  });
});

describe('callback allowlist', () => {
  const resolveTo = (map: Record<string, string[]>) => async (h: string) =>
    (map[h] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  const check = (url: string, patterns: string, map: Record<string, string[]> = {}, httpsOnly = false) =>
    checkDestination(new URL(url), parseAllowPatterns(patterns), { httpsOnly, resolve: resolveTo(map) });

  test('patterns: host, host:port, *.domain, *, IPs, [v6]:port and CIDRs; anything else is refused by name', () => {
    expect(
      parseAllowPatterns('Hooks.Example.com, *.acme.test:8443,*,10.0.0.0/8,[::1]:9000,192.0.2.7').map((p) => [p.kind, p.text]),
    ).toEqual([
      ['host', 'hooks.example.com'],
      ['suffix', '*.acme.test:8443'],
      ['any', '*'],
      ['net', '10.0.0.0/8'],
      ['net', '[::1]:9000'],
      ['net', '192.0.2.7'],
    ]);
    for (const bad of [
      'http://x.example',
      'x.example/path',
      'a..b',
      '*x.example',
      '10.0.0.0/33',
      'x.example:0',
      'x.example:70000',
      'under_score.example',
    ]) {
      expect(() => parseAllowPattern(bad)).toThrow(`"${bad}" is not an allowlist pattern`);
    }
  });

  test('special ranges: loopback, private, link-local, CGNAT, mapped IPv6, ULA; public addresses are not', () => {
    for (const a of [
      '127.0.0.1',
      '10.9.8.7',
      '172.31.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::',
      '::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '0:0:0:0:0:ffff:a00:1',
      'fd00::1',
      'fe80::1',
      '224.0.0.1',
      '255.255.255.255',
      '::7f00:1',
      '64:ff9b::a00:5',
      '2002:a00:5::1',
      '2001:0:4136::1',
      'fec0::1',
      'ff02::1',
      '192.88.99.1',
    ]) {
      expect([a, isSpecialAddress(a)]).toEqual([a, true]);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '172.32.0.1']) expect([a, isSpecialAddress(a)]).toEqual([a, false]);
  });

  test('a public host on the list is allowed, pinned to the address checked', async () => {
    await expect(check('https://hooks.example.com/cb', 'hooks.example.com', { 'hooks.example.com': ['93.184.216.34'] })).resolves.toEqual({
      address: '93.184.216.34',
      family: 4,
    });
    await expect(check('https://a.acme.test:8443/cb', '*.acme.test:8443', { 'a.acme.test': ['93.184.216.35'] })).resolves.toMatchObject({
      address: '93.184.216.35',
    });
  });

  test('not on the list, wrong port, or wildcard-only for an inside address: refused with the reason', async () => {
    await expect(check('https://evil.example/cb', 'hooks.example.com', { 'evil.example': ['93.184.216.34'] })).rejects.toThrow(
      'evil.example:443 is not on the callback allowlist',
    );
    await expect(check('https://a.acme.test/cb', '*.acme.test:8443', { 'a.acme.test': ['93.184.216.35'] })).rejects.toThrow(
      'a.acme.test:443 is not on the callback allowlist',
    );
    await expect(check('https://acme.test/cb', '*.acme.test', { 'acme.test': ['93.184.216.35'] })).rejects.toThrow(
      'not on the callback allowlist',
    );
    await expect(check('http://in.acme.test/cb', '*', { 'in.acme.test': ['10.0.0.5'] })).rejects.toThrow(
      'in.acme.test resolves to 10.0.0.5, a private/loopback/link-local address',
    );
    await expect(check('http://127.0.0.1:8080/cb', '*')).rejects.toThrow('127.0.0.1:8080 is not on the callback allowlist');
    await expect(check('http://[::ffff:7f00:1]/cb', '*')).rejects.toThrow('not on the callback allowlist');
    await expect(check('http://mapped.example/cb', '*', { 'mapped.example': ['::ffff:7f00:1'] })).rejects.toThrow(
      'mapped.example resolves to ::ffff:7f00:1, a private',
    );
  });

  test('an inside address is allowed only when an IP or CIDR inside its special range names it', async () => {
    await expect(check('http://127.0.0.1:8080/cb', '127.0.0.1')).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(check('http://10.1.2.3/cb', '10.0.0.0/8')).resolves.toMatchObject({ address: '10.1.2.3' });
    await expect(check('http://[::1]:9000/cb', '[::1]:9000')).resolves.toMatchObject({ address: '::1', family: 6 });
    await expect(check('http://[fd00::7]/cb', 'fd00::/8')).resolves.toMatchObject({ address: 'fd00::7', family: 6 });
    await expect(check('http://[::ffff:10.1.2.3]/cb', '::ffff:10.0.0.0/104')).resolves.toEqual({ address: '10.1.2.3', family: 4 });
    // a name must be named AND its inside address opened by an explicit IP/CIDR
    await expect(check('http://intranet.corp/cb', 'intranet.corp,10.0.0.0/8', { 'intranet.corp': ['10.0.0.5'] })).resolves.toMatchObject({
      address: '10.0.0.5',
    });
    await expect(check('http://in.corp:8080/cb', '*.corp,10.0.0.5:8080', { 'in.corp': ['10.0.0.5'] })).resolves.toMatchObject({
      address: '10.0.0.5',
    });
    await expect(check('http://in.corp/cb', '*.corp,10.0.0.5:8080', { 'in.corp': ['10.0.0.5'] })).rejects.toThrow(
      'in.corp resolves to 10.0.0.5, a private/loopback/link-local address',
    );
  });

  test('a named host, *, 0.0.0.0/0, ::/0 or a net wider than the special range never opens loopback or private addresses', async () => {
    await expect(check('http://intranet.corp/cb', 'intranet.corp', { 'intranet.corp': ['10.0.0.5'] })).rejects.toThrow(
      'intranet.corp resolves to 10.0.0.5, a private/loopback/link-local address; allow it by listing that address',
    );
    await expect(check('http://localhost:8080/cb', 'localhost', { localhost: ['127.0.0.1', '::1'] })).rejects.toThrow(
      'localhost resolves to 127.0.0.1',
    );
    for (const [url, patterns] of [
      ['http://127.0.0.1/cb', '0.0.0.0/0'],
      ['http://10.0.0.5/cb', '0.0.0.0/0,::/0,*'],
      ['http://[::1]/cb', '::/0'],
      ['http://[::ffff:127.0.0.1]/cb', '::/0,0.0.0.0/0'],
      ['http://169.254.169.254/cb', '128.0.0.0/1'],
      ['http://10.1.2.3/cb', '10.0.0.0/7'],
      ['http://172.16.0.1/cb', '172.0.0.0/8'],
      ['http://[fd00::1]/cb', 'fc00::/6'],
      ['http://[::ffff:10.0.0.5]/cb', '::ffff:0:0/96'],
    ] as const) {
      await expect(check(url, patterns)).rejects.toThrow(
        'is a private/loopback/link-local address; allow it by listing that address, or a range inside the private one',
      );
    }
    await expect(check('http://8.8.8.8/cb', '0.0.0.0/0')).resolves.toEqual({ address: '8.8.8.8', family: 4 });
    await expect(check('http://[2606:4700::1111]/cb', '::/0')).resolves.toEqual({ address: '2606:4700::1111', family: 6 });
  });

  test('the URL host is checked before any name resolution: a name no pattern names is refused without DNS', async () => {
    const asked: string[] = [];
    const resolve = async (h: string) => {
      asked.push(h);
      throw new Error('the resolver must not be asked');
    };
    const refused = (url: string, patterns: string) =>
      checkDestination(new URL(url), parseAllowPatterns(patterns), { httpsOnly: false, resolve });
    await expect(refused('https://evil.example/cb', 'hooks.example.com,0.0.0.0/0,::/0,93.184.216.0/24')).rejects.toThrow(
      'evil.example:443 is not on the callback allowlist',
    );
    await expect(refused('https://a.acme.test/cb', '*.acme.test:8443')).rejects.toThrow('a.acme.test:443 is not on the callback allowlist');
    await expect(refused('http://metadata.google.internal/cb', '10.0.0.0/8,169.254.0.0/16')).rejects.toThrow(
      'metadata.google.internal:80 is not on the callback allowlist',
    );
    await expect(refused('http://127.0.0.1/cb', '*')).rejects.toThrow('127.0.0.1:80 is not on the callback allowlist');
    expect(asked).toEqual([]);
    // a named host is resolved; a failing resolver is a temporary error (retried), not a refusal
    await expect(refused('https://hooks.example.com/cb', 'hooks.example.com')).rejects.toMatchObject({
      message: 'cannot resolve hooks.example.com: the resolver must not be asked',
      permanent: false,
    });
    expect(asked).toEqual(['hooks.example.com']);
  });

  test('a resolver that never answers fails the attempt as temporary after the time limit', async () => {
    const never = () => new Promise<Array<{ address: string; family: number }>>(() => undefined);
    await expect(
      checkDestination(new URL('https://slow.example/cb'), parseAllowPatterns('slow.example'), {
        httpsOnly: false,
        resolve: never,
        resolveTimeoutMs: 50,
      }),
    ).rejects.toMatchObject({ message: 'cannot resolve slow.example: no answer within 50 ms', permanent: false });
  });

  test('a name with public and inside addresses is pinned to a public one', async () => {
    await expect(
      check('https://mixed.example/cb', 'mixed.example', { 'mixed.example': ['10.0.0.5', '::1', '93.184.216.34'] }),
    ).resolves.toEqual({ address: '93.184.216.34', family: 4 });
  });

  test('production: https only; never credentials in the URL', async () => {
    await expect(check('http://hooks.example.com/cb', '*', { 'hooks.example.com': ['93.184.216.34'] }, true)).rejects.toThrow(
      'scheme http is not allowed for callbacks (production mode: https only)',
    );
    await expect(check('https://u:p@hooks.example.com/cb', '*', { 'hooks.example.com': ['93.184.216.34'] })).rejects.toThrow(
      'callback URLs must not carry credentials',
    );
  });
});

describe('webhook signature (Standard Webhooks scheme)', () => {
  const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
  test('known answer: HMAC-SHA256 over id.timestamp.content with the decoded secret', () => {
    // computed independently: printf 'msg_1.1700000000.https://x/cb' | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef -binary | base64
    expect(signWebhook(secret, 'msg_1', 1_700_000_000, 'https://x/cb')).toBe(
      `v1,${nodeCrypto.createHmac('sha256', '0123456789abcdef0123456789abcdef').update('msg_1.1700000000.https://x/cb').digest('base64')}`,
    );
  });
  test('verification: right content passes; changed content, id, old timestamps and a wrong secret fail', () => {
    const ts = 1_700_000_000;
    const sig = signWebhook(secret, 'msg_1', ts, 'https://x/cb');
    const h = { id: 'msg_1', timestamp: String(ts), signature: `v1,bogus ${sig}` };
    expect(verifyWebhook(secret, h, 'https://x/cb', ts + 10)).toBe(true);
    expect(verifyWebhook(secret, h, 'https://x/cb?', ts + 10)).toBe(false);
    expect(verifyWebhook(secret, { ...h, id: 'msg_2' }, 'https://x/cb', ts + 10)).toBe(false);
    expect(verifyWebhook(secret, h, 'https://x/cb', ts + 301)).toBe(false);
    expect(verifyWebhook(`whsec_${Buffer.from('other').toString('base64')}`, h, 'https://x/cb', ts)).toBe(false);
  });
});
