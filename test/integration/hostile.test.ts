// Hostile input against the real server: every case is a raw POST that must end in the right SOAP
// fault, leave the server healthy, and change nothing in the database or the blob store.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { databases, startServer, type TestServer } from '../support/server';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'hostile');
const TABLES = [
  'service',
  'request',
  'task',
  'task_document',
  'document',
  'event',
  'artifact',
  'notification',
  'user_session',
  'sds_document',
  'archive_document',
  'certificate',
];
const DEMO_PASSWORD = 'demo-password-1';
const BODY_LIMIT = 20 * 1024 * 1024;
const MB = 1024 * 1024;

/** A fixture with {{service}} / {{password}} filled in (demo credentials unless told otherwise). */
function fixture(name: string, service = 'demo', password = DEMO_PASSWORD): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8').replaceAll('{{service}}', service).replaceAll('{{password}}', password);
}

/** The one valid minimal createRequest (default xmlns, unprefixed xsi:type="provided-document"). */
const base = (service = 'demo', password = DEMO_PASSWORD): string => fixture('00-base-create-request.xml', service, password);

/** The base with `find` replaced; refuses a mutation that would silently not apply. */
function mutate(find: string, replace: string, text = base()): string {
  if (!text.includes(find)) throw new Error(`mutation target not in base: ${find}`);
  return text.replace(find, replace);
}

const TASK_OPEN = '<task id="task1">';
const ACTION_END = '</document-action>';
const TASK_END = '</task>';
const CLIENT_REF = '<client-reference>hostile-base</client-reference>';
const DOC_ELEMENT = /<document id="doc1"[\s\S]*?<\/document>/;
const secondTask = (id: string, extra = ''): string =>
  `<task id="${id}"><document-action type="sign"><document-ref>doc1</document-ref></document-action>${extra}</task>`;
const notification = (type: string, schedule: string): string =>
  `<notification type="${type}" notification-id="n1"><recipient>signer@example.com</recipient><message>Please sign</message>` +
  `<schedule>${schedule}</schedule></notification>`;

function getStatusEnvelope(service: string, password: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
    `<get-status-request xmlns="https://id.signicat.com/definitions/wsdl/Document-v3"><service>${service}</service>` +
    `<password>${password}</password><request-id>${requestId}</request-id></get-status-request></soap:Body></soap:Envelope>`
  );
}
function getRequestEnvelope(service: string, password: string, requestId: string): string {
  return getStatusEnvelope(service, password, requestId).replaceAll('get-status-request', 'get-request-request');
}
function deleteRequestEnvelope(service: string, password: string, requestId: string): string {
  return getStatusEnvelope(service, password, requestId).replaceAll('get-status-request', 'delete-request-request');
}

/** A gzip stream of `members` concatenated members, each inflating to 16 MiB of zeros (RFC 1952 §2.2). */
function gzipBomb(members: number): Buffer {
  const member = gzipSync(Buffer.alloc(16 * MB));
  return Buffer.concat(Array.from({ length: members }, () => member));
}

interface Case {
  name: string;
  body: () => string | Buffer;
  headers?: Record<string, string>;
  /** HTTP status; 500 for every SOAP fault (SOAP 1.1 §6.2) unless the server documents otherwise */
  status?: number;
  code?: 'Client' | 'Server' | 'VersionMismatch' | 'MustUnderstand';
  /** substrings the faultstring must contain */
  says: string[];
  /** substrings the faultstring must not contain */
  hides?: () => string[];
  /** the fault must arrive within this many ms (bounded work) */
  maxMs?: number;
}

const hostname = existsSync('/etc/hostname') ? readFileSync('/etc/hostname', 'utf8').trim() : '';

const CASES: Case[] = [
  // --- XML level: entities, DTDs, PIs, syntax, encodings -------------------------------------
  {
    name: '01 XXE: external SYSTEM entity to file:///etc/hostname',
    body: () => fixture('01-xxe-system-entity.xml'),
    says: ['not acceptable XML', 'DTD'],
    hides: () => (hostname ? [hostname] : []),
  },
  { name: '02 billion laughs entity bomb', body: () => fixture('02-billion-laughs.xml'), says: ['not acceptable XML', 'DTD'], maxMs: 5000 },
  { name: '03 internal DTD subset', body: () => fixture('03-internal-dtd.xml'), says: ['not acceptable XML', 'DTD'] },
  {
    name: '04 parameter entities (external DTD fetch)',
    body: () => fixture('04-parameter-entity.xml'),
    says: ['not acceptable XML', 'DTD'],
    hides: () => (hostname ? [hostname] : []),
  },
  {
    name: '05 processing instruction other than xml',
    body: () => fixture('05-processing-instruction.xml'),
    says: ['processing instructions are not allowed', 'xml-stylesheet'],
  },
  { name: '06 not XML at all (JSON)', body: () => fixture('06-not-xml.xml'), says: ['not acceptable XML'] },
  { name: '07 truncated XML', body: () => fixture('07-truncated.xml'), says: ['not acceptable XML'] },
  { name: '08 empty body', body: () => '', says: ['not acceptable XML'] },
  {
    name: '09 non-UTF-8 bytes in a UTF-8 document',
    body: () => {
      const [head, tail] = base().split('hostile-base');
      return Buffer.concat([Buffer.from(head!, 'utf8'), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x80]), Buffer.from(tail!, 'utf8')]);
    },
    says: ['not valid UTF-8'],
  },
  {
    name: '10 declared unsupported encoding (Shift_JIS)',
    body: () => fixture('10-unsupported-encoding.xml'),
    says: ['encoding "Shift_JIS" is not supported'],
  },
  {
    name: '11 elements nested deeper than 64',
    body: () => mutate(CLIENT_REF, `${'<x>'.repeat(70)}deep${'</x>'.repeat(70)}`),
    says: ['nested deeper than 64'],
  },
  {
    name: '12 more than 64 attributes on one element',
    body: () => mutate(TASK_OPEN, `<task id="task1" ${Array.from({ length: 70 }, (_, i) => `a${i}="x"`).join(' ')}>`),
    says: ['more than 64 attributes'],
  },

  // --- SOAP envelope ------------------------------------------------------------------------
  { name: '13 SOAP 1.2 envelope', body: () => fixture('13-soap12-envelope.xml'), code: 'VersionMismatch', says: ['Envelope', 'SOAP 1.2'] },
  {
    name: '14 root is not an Envelope',
    body: () => fixture('14-root-not-envelope.xml'),
    says: ['create-request-request: the root element must be a SOAP 1.1 Envelope'],
  },
  { name: '15 Envelope without Body', body: () => fixture('15-envelope-without-body.xml'), says: ['Envelope/Body: is required'] },
  {
    name: '16 Body with two elements',
    body: () => fixture('16-body-two-elements.xml'),
    says: ['Envelope/Body', 'exactly one operation element (found 2)'],
  },
  { name: '17 Envelope with two Body elements', body: () => fixture('17-two-body-elements.xml'), says: ['Body'] },
  {
    name: '18 wrong operation namespace (Document-v2)',
    body: () => fixture('18-wrong-operation-namespace.xml'),
    says: ['create-request-request', 'Document-v2'],
  },
  {
    name: '19 unknown operation element',
    body: () => fixture('19-unknown-operation.xml'),
    says: ['drop-all-requests-request', 'not an operation'],
  },
  {
    name: '20 header with soap:mustUnderstand="1"',
    body: () => fixture('20-must-understand-header.xml'),
    code: 'MustUnderstand',
    says: ['Header/Security', 'mustUnderstand'],
  },

  // --- credentials (decoding) -----------------------------------------------------------------
  { name: '21 missing service', body: () => mutate('<service>demo</service>', ''), says: ['service: is required'] },
  { name: '22 missing password', body: () => mutate(`<password>${DEMO_PASSWORD}</password>`, ''), says: ['password: is required'] },

  // --- schema: structure and simple types -----------------------------------------------------
  {
    name: '23 unknown element inside request (<tasks>)',
    body: () => mutate(TASK_END, '</tasks>', mutate(TASK_OPEN, '<tasks id="task1">')),
    says: ['request[0]/tasks: unknown element'],
  },
  {
    name: '24 element occurring too often (two client-reference)',
    body: () => mutate(CLIENT_REF, CLIENT_REF + CLIENT_REF),
    says: ['request[0]/client-reference: may occur at most 1'],
  },
  {
    name: '25 element in a foreign namespace',
    body: () => mutate(CLIENT_REF, '<x:client-reference xmlns:x="urn:evil">x</x:client-reference>'),
    says: ['request[0]/client-reference: unknown element in namespace urn:evil'],
  },
  {
    name: '26 xsi:nil on a required task',
    body: () => base().replace(/<task id="task1">[\s\S]*?<\/task>/, '<task xsi:nil="true"/>'),
    says: ['request[0]/task[0]: is required and cannot be nil'],
  },
  {
    name: '27 bad xs:int in days-to-live',
    body: () => mutate(TASK_OPEN, `${TASK_OPEN}<days-to-live>thirty</days-to-live>`),
    says: ['request[0]/task[0]/days-to-live: "thirty" is not an xs:int'],
  },
  {
    name: '28 xs:int overflow in days-to-live',
    body: () => mutate(TASK_OPEN, `${TASK_OPEN}<days-to-live>99999999999</days-to-live>`),
    says: ['request[0]/task[0]/days-to-live', 'xs:int'],
  },
  {
    name: '29 bad xs:boolean in task/@bundle',
    body: () => mutate(TASK_OPEN, '<task id="task1" bundle="yes">'),
    says: ['request[0]/task[0]/@bundle: "yes" is not an xs:boolean'],
  },
  {
    name: '30 bad xs:dateTime in schedule/wait-until',
    body: () => mutate(ACTION_END, ACTION_END + notification('EMAIL', '<state-is>created</state-is><wait-until>tomorrow</wait-until>')),
    says: ['request[0]/task[0]/notification[0]/schedule[0]/wait-until: "tomorrow" is not an xs:dateTime'],
  },
  {
    name: '31 impossible xs:dateTime (February 30) in schedule/wait-until',
    body: () =>
      mutate(ACTION_END, ACTION_END + notification('EMAIL', '<state-is>created</state-is><wait-until>2026-02-30T09:00:00Z</wait-until>')),
    says: ['request[0]/task[0]/notification[0]/schedule[0]/wait-until'],
  },
  {
    name: '32 bad base64 in provided-document data',
    body: () => mutate('SGVsbG8sIHdvcmxkIQ==', 'not base64 at all!'),
    says: ['request[0]/document[0]/data: is not valid base64'],
  },

  // --- schema: polymorphic documents and enumerations -------------------------------------------
  {
    name: '33 unknown xsi:type',
    body: () => mutate('xsi:type="provided-document"', 'xsi:type="shell-document"'),
    says: ['request[0]/document[0]/@xsi:type: "shell-document" is not a document type'],
  },
  {
    name: '34 xsi:type with an unbound prefix',
    body: () => mutate('xsi:type="provided-document"', 'xsi:type="nope:provided-document"'),
    says: ['request[0]/document[0]/@xsi:type'],
  },
  {
    name: '35 document without xsi:type',
    body: () => base().replace(DOC_ELEMENT, '<document id="doc1"><external-reference>ext-1</external-reference></document>'),
    says: ['request[0]/document[0]/@xsi:type: is required'],
  },
  {
    name: '36 provided-document content without its xsi:type',
    body: () => mutate(' xsi:type="provided-document"', ''),
    says: ['request[0]/document[0]'],
  },
  {
    name: '37 wrong enum in document-action/@type',
    body: () => mutate('type="sign"', 'type="approve"'),
    says: ['request[0]/task[0]/document-action[0]/@type: "approve" is not a document-action-type'],
  },
  {
    name: '38 wrong task-status in schedule/state-is',
    body: () => mutate(ACTION_END, ACTION_END + notification('EMAIL', '<state-is>done</state-is>')),
    says: ['request[0]/task[0]/notification[0]/schedule[0]/state-is: "done" is not a task-status'],
  },
  {
    name: '39 wrong notification type',
    body: () => mutate(ACTION_END, ACTION_END + notification('FAX', '<state-is>created</state-is>')),
    says: ['request[0]/task[0]/notification[0]/@type: "FAX" is not a notification-type'],
  },

  // --- segl's own rules ---------------------------------------------------------------------
  {
    name: '40 depends-on-task cycle',
    body: () =>
      mutate(
        TASK_END,
        `<depends-on-task>task2</depends-on-task>${TASK_END}${secondTask('task2', '<depends-on-task>task1</depends-on-task>')}`,
      ),
    says: ['request[0]/task: depends-on-task forms a cycle'],
  },
  {
    name: '41 dangling depends-on-task',
    body: () => mutate(TASK_END, TASK_END + secondTask('task2', '<depends-on-task>ghost</depends-on-task>')),
    says: ['request[0]/task[1]/depends-on-task[0]: "ghost" does not match any task/@id'],
  },
  {
    name: '42 dangling document-ref',
    body: () => mutate('<document-ref>doc1</document-ref>', '<document-ref>ghost</document-ref>'),
    says: ['request[0]/task[0]/document-action[0]/document-ref: "ghost" does not match any request/document/@id'],
  },
  {
    name: '43 dangling subject-ref',
    body: () => mutate(TASK_OPEN, `${TASK_OPEN}<subject-ref>ghost</subject-ref>`),
    says: ['request[0]/task[0]/subject-ref: "ghost" does not match any request/subject/@id'],
  },
  {
    name: '44 duplicate task id',
    body: () => mutate(TASK_END, TASK_END + secondTask('task1')),
    says: ['request[0]/task[1]/@id: task id "task1" is used twice'],
  },
  {
    name: '45 unknown eID method',
    body: () => mutate(ACTION_END, `${ACTION_END}<authentication><method>bankid-no</method></authentication>`),
    says: ['request[0]/task[0]/authentication/method[0]: "bankid-no" is not a known eID method'],
  },

  // --- transport: size limit and content encodings ----------------------------------------------
  {
    name: '46 21 MB body (limit 20 MB)',
    body: () => mutate('SGVsbG8sIHdvcmxkIQ==', 'QUFB'.repeat((21 * MB) / 4)),
    status: 413,
    says: [`the request body exceeds the limit of ${BODY_LIMIT} bytes`],
  },
  {
    name: '47 gzip bomb inflating past the limit',
    body: () => gzipSync(Buffer.from(mutate('hostile-base', ' '.repeat(25 * MB)), 'utf8')),
    headers: { 'Content-Encoding': 'gzip' },
    status: 413,
    says: [`the request body exceeds the limit of ${BODY_LIMIT} bytes`],
  },
  {
    name: '48 gzip bomb of 4 GiB: inflation stops at the limit',
    body: () => gzipBomb(256),
    headers: { 'Content-Encoding': 'gzip' },
    status: 413,
    says: [`the request body exceeds the limit of ${BODY_LIMIT} bytes`],
    maxMs: 3000,
  },
  {
    name: '49 unknown Content-Encoding (br)',
    body: () => base(),
    headers: { 'Content-Encoding': 'br' },
    status: 415,
    says: ['Content-Encoding "br" is not supported'],
  },
  {
    name: '50 deflate header over bytes that are not deflate',
    body: () => base(),
    headers: { 'Content-Encoding': 'deflate' },
    says: ['the request body could not be read'],
  },

  // --- injection-shaped ids -------------------------------------------------------------------
  {
    name: '51 SQL-shaped request-id in getStatus',
    body: () => getStatusEnvelope('demo', DEMO_PASSWORD, "x' OR '1'='1"),
    says: ["request-id: no request \"x' OR '1'='1\" exists"],
  },
];

interface Fault {
  status: number;
  code: string;
  faultstring: string;
  text: string;
  ms: number;
  retryAfter: string | null;
}

const unescape = (s: string): string =>
  s.replace(/&(lt|gt|quot|apos|amp|#13);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&', '#13': '\r' })[e]!);

async function post(endpoint: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Fault> {
  const started = Date.now();
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml; charset=utf-8', ...headers },
    body,
  });
  const text = await res.text();
  const ms = Date.now() - started;
  const code = /<faultcode>([^<]*)<\/faultcode>/.exec(text)?.[1] ?? '';
  const faultstring = unescape(/<faultstring>([^<]*)<\/faultstring>/.exec(text)?.[1] ?? '');
  return { status: res.status, code, faultstring, text, ms, retryAfter: res.headers.get('retry-after') };
}

function listBlobs(dataDir: string): string[] {
  const dir = path.join(dataDir, 'blobs');
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

describe.each(databases())('hostile requests against segl on %s', (db) => {
  let srv: TestServer;
  let otherRequestId = '';
  let authFailures = 0;

  async function countRows(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const t of TABLES) {
      const rows = (await srv.rt.db.query(`SELECT COUNT(*) AS n FROM ${t}`)) as Array<{ n: number | string }>;
      out[t] = Number(rows[0]!.n);
    }
    return out;
  }

  interface Snapshot {
    rows: Record<string, number>;
    blobs: string[];
  }
  let baseline: Snapshot;

  async function snapshot(): Promise<Snapshot> {
    return { rows: await countRows(), blobs: listBlobs(srv.dataDir) };
  }

  /**
   * The server answers health checks, and neither rows nor blobs changed since `before` (taken at the
   * start of the case, so a case that wrongly writes fails alone, not every case after it).
   */
  async function expectUnharmed(before: Snapshot): Promise<void> {
    const health = await fetch(`${srv.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await snapshot()).toEqual(before);
  }

  function expectFault(f: Fault, says: string[], code = 'Client', status = 500): void {
    expect({ status: f.status, code: f.code }).toEqual({ status, code: `soap:${code}` });
    for (const s of says) expect(f.faultstring).toContain(s);
  }

  beforeAll(async () => {
    srv = await startServer(db);
    expect(srv.demoPassword).toBe(DEMO_PASSWORD);
    await srv.rt.services.create('other', 'other-password-1');
    const created = await post(srv.endpoint, base('other', 'other-password-1'));
    expect(created.status).toBe(200);
    otherRequestId = /<request-id>([^<]+)<\/request-id>/.exec(created.text)![1]!;
    baseline = await snapshot();
    expect(baseline.rows.request).toBe(1);
    expect(baseline.rows.service).toBe(2);
  }, 120_000);

  afterAll(async () => {
    await srv?.stop();
  });

  it('has a corpus of at least 35 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(35);
  });

  it.each(CASES.map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      const before = await snapshot();
      if (c === CASES[0]) expect(before).toEqual(baseline);
      const f = await post(srv.endpoint, c.body(), c.headers);
      const failures: string[] = [];
      try {
        expectFault(f, c.says, c.code, c.status);
        for (const secret of c.hides?.() ?? []) expect(f.faultstring).not.toContain(secret);
        if (c.maxMs !== undefined) expect(f.ms).toBeLessThan(c.maxMs);
      } catch (e) {
        failures.push(`response: ${(e as Error).message}\n  (HTTP ${f.status} after ${f.ms} ms: ${f.text.slice(0, 400)})`);
      }
      try {
        await expectUnharmed(before);
      } catch (e) {
        failures.push(`side effects: ${(e as Error).message}`);
      }
      if (failures.length) throw new Error(failures.join('\n\n'));
    },
    60_000,
  );

  it('wrong password and unknown service give the same fault', async () => {
    const before = await snapshot();
    const wrong = await post(srv.endpoint, base('demo', 'wrong-password-1'));
    authFailures++;
    const unknown = await post(srv.endpoint, base('no-such-service', DEMO_PASSWORD));
    authFailures++;
    expectFault(wrong, ['service, password: service or password is wrong']);
    expectFault(unknown, ['service, password']);
    expect(unknown.faultstring).toBe(wrong.faultstring);
    expect(unknown.text).toBe(wrong.text);
    await expectUnharmed(before);
  });

  it("getStatus and getRequest of another service's request: same fault as a request-id that does not exist", async () => {
    const before = await snapshot();
    const missing = otherRequestId.slice(0, 8) + 'z'.repeat(otherRequestId.length - 8);
    for (const envelope of [getStatusEnvelope, getRequestEnvelope]) {
      const foreign = await post(srv.endpoint, envelope('demo', DEMO_PASSWORD, otherRequestId));
      const absent = await post(srv.endpoint, envelope('demo', DEMO_PASSWORD, missing));
      expectFault(foreign, ['request-id']);
      expectFault(absent, ['request-id']);
      expect(foreign.faultstring.replaceAll(otherRequestId, '<id>')).toBe(absent.faultstring.replaceAll(missing, '<id>'));
    }
    await expectUnharmed(before);
  });

  it("deleteRequest of another service's request deletes nothing", async () => {
    const before = await snapshot();
    const del = await post(srv.endpoint, deleteRequestEnvelope('demo', DEMO_PASSWORD, otherRequestId));
    expect(del.status).toBe(200);
    expect(del.text).toMatch(/<deleted>0<\/deleted>/);
    await expectUnharmed(before);
    const owner = await post(srv.endpoint, getStatusEnvelope('other', 'other-password-1', otherRequestId));
    expect(owner.status).toBe(200);
    expect(owner.text).toContain(`<request-id>${otherRequestId}</request-id>`);
    expect(owner.text).toMatch(/<task-status>created<\/task-status>/);
    const rows = (await srv.rt.db.query(`SELECT deleted FROM request WHERE id = '${otherRequestId.replace(/'/g, '')}'`)) as Array<{
      deleted: unknown;
    }>;
    expect(rows).toHaveLength(1);
    expect([false, 0, '0', 'f']).toContain(rows[0]!.deleted);
  });

  // Last: it leaves this source throttled on this server instance.
  it('throttles guessing per (source, account) but answers the right password, late rather than never', async () => {
    const before = await snapshot();
    // 5 failures of one account from one address are free; past them each attempt waits its turn
    for (; authFailures < 8; authFailures++) {
      const f = await post(srv.endpoint, base('demo', `wrong-password-${authFailures}`));
      expectFault(f, ['service, password: service or password is wrong']);
    }
    const slowed = await post(srv.endpoint, base('demo', 'wrong-password-x'));
    expectFault(slowed, ['service, password: service or password is wrong']);
    expect(slowed.ms).toBeGreaterThanOrEqual(400);
    // a burst of guesses in parallel does not buy more tries: the queue fills, the rest are refused
    const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => post(srv.endpoint, base('demo', `burst-${i}`))));
    const refused = burst.filter((f) => f.faultstring.includes('too many failed attempts'));
    expect(refused.length).toBeGreaterThan(0);
    for (const f of refused) {
      expectFault(f, ['service, password: too many failed attempts from']);
      expect(Number(f.retryAfter)).toBeGreaterThan(0);
    }
    // another account behind the same address is not slowed by demo's failures
    const t0 = Date.now();
    const other = await post(srv.endpoint, getStatusEnvelope('other', 'other-password-1', otherRequestId));
    expect(other.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(400);
    await expectUnharmed(before);
  }, 90_000);

  it('the right password still gets in once the queue has drained', async () => {
    let ok: Fault | undefined;
    for (let i = 0; i < 10 && !(ok && ok.status === 200); i++) {
      ok = await post(
        srv.endpoint,
        getStatusEnvelope('demo', DEMO_PASSWORD, otherRequestId.slice(0, 8) + 'z'.repeat(otherRequestId.length - 8)),
      );
      if (ok.faultstring.includes('too many failed attempts')) await new Promise((r) => setTimeout(r, 2000));
    }
    // getStatus of an unknown id: a fault about the request-id, i.e. past the login
    expectFault(ok!, ['request-id']);
  }, 90_000);
});
