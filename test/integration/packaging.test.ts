// PackagingService v4 create-package end to end on a real segl (HTTP, database, blob store), driven by
// node-soap and python-zeep clients generated from Signicat's reference WSDL. The PAdES itself is not
// tested here: a test-only maker (TestOnlyTinyPdfMaker, below) stands in for the real one so the
// core and SOAP wiring can be checked — which sources reach the maker, where its output is kept, and
// that every refusal answers `error` and leaves nothing stored (rows and blob files counted).
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PackageMaker, PackageOutcome } from '../../src/core/packaging';
import type { ServiceAccount } from '../../src/core/ports';
import { generateKeys } from '../../src/trust/crypto';
import { sqlDatabase } from '../../src/store/sql';
import { blobFiles } from '../support/blobs';
import { nodeSoapClient, packagingSchemaErrors, requireZeep, zeepCalls, type Call, type PackageAnswer } from '../support/packaging';
import { makePdf } from '../support/pdf';
import { databases, startServer, type TestServer } from '../support/server';
import { signTask } from '../support/sign';
import { bodyPayload, envelope, NS, post } from '../support/soap';
import { PKG_NS } from '../support/packaging';

jest.setTimeout(120_000);

type MakeInput = Parameters<PackageMaker['make']>[0];

/**
 * TEST ONLY. Stands in for the real PAdES maker (which verifies and seals) so these tests can check
 * the wiring around it. Its "package" is a tiny one-page PDF that is NOT a PAdES. `next` chooses
 * the next answer: a PDF, a refusal, a throw, or a hook run before the PDF is returned.
 */
class TestOnlyTinyPdfMaker implements PackageMaker {
  calls: MakeInput[] = [];
  made: Buffer[] = [];
  next: 'pdf' | 'refuse' | 'throw' | ((input: MakeInput) => Promise<void>) = 'pdf';
  async make(input: MakeInput): Promise<PackageOutcome> {
    this.calls.push(input);
    const next = this.next;
    this.next = 'pdf';
    if (next === 'refuse') return { ok: false, code: 'sdo-invalid', message: `${input.sources[0]!.ref}: the seal does not verify (test)` };
    if (next === 'throw') throw new Error('test maker exploded');
    if (typeof next === 'function') await next(input);
    const pdf = makePdf({ text: `test-only package ${input.packageId}` });
    this.made.push(pdf);
    return { ok: true, pdf };
  }
}

const SIGNICAT_ID = /^\d{8}[0-9a-z]{49,50}$/;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe.each(databases())('PackagingService v4 create-package on %s', (db) => {
  const maker = new TestOnlyTinyPdfMaker();
  const pdf = makePdf({ text: 'Loan agreement 7' });
  let s: TestServer;
  let demo: ServiceAccount;
  let call: Call;
  /** fixtures: ids of this service (demo) and of another one */
  const f = {} as {
    request: string;
    unsigned: string;
    sdoLoan: Buffer;
    sdoTerms: Buffer;
    sdsSdo: string;
    sdsPdf: string;
    archiveSdo: string;
    otherRequest: string;
    otherSds: string;
    otherArchive: string;
  };

  const basic = (svc: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${svc}:${pw}`).toString('base64')}` });
  const demoAuth = () => basic('demo', s.demoPassword);
  const sql = <T>(text: string, params: unknown[] = []) => sqlDatabase(s.rt.db).tx((q) => q.all<T>(text, params as never[]));
  const sqlRun = (text: string, params: unknown[] = []) => sqlDatabase(s.rt.db).tx((q) => q.run(text, params as never[]));

  async function createRequest(svc: string, pw: string, docs: string, task: string): Promise<string> {
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>${svc}</service><password>${pw}</password><request>${docs}${task}</request></create-request-request>`,
      ),
    );
    const m = /<request-id>([^<]+)</.exec(r.text);
    if (!m) throw new Error(`createRequest failed: ${r.text}`);
    return m[1]!;
  }
  const doc = (id: string, type: string, bytes: Buffer, archive = false) =>
    `<document xsi:type="provided-document" id="${id}" mime-type="${type}"${archive ? ' send-to-archive="true"' : ''}><data>${bytes.toString('base64')}</data><description>${id}</description></document>`;
  const task = (...refs: string[]) =>
    `<task id="t1">${refs.map((r) => `<document-action type="sign"><document-ref>${r}</document-ref></document-action>`).join('')}</task>`;
  async function upload(svc: string, pw: string, type: string, bytes: Buffer): Promise<string> {
    const r = await fetch(`${s.url}/doc/${svc}/sds`, { method: 'POST', headers: { ...basic(svc, pw), 'content-type': type }, body: bytes });
    if (r.status !== 201) throw new Error(`upload: ${r.status} ${await r.text()}`);
    return r.text();
  }
  const archiveIdOf = async (requestId: string) =>
    (await sql<{ id: string }>('SELECT id FROM archive_document WHERE source_request_id = ?', [requestId]))[0]!.id;
  async function download(pathname: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
    const r = await fetch(`${s.url}${pathname}`, { headers: demoAuth() });
    return { status: r.status, type: r.headers.get('content-type'), bytes: Buffer.from(await r.arrayBuffer()) };
  }
  /** What is stored: SDS and archive rows, and every blob file. */
  async function stored() {
    const n = async (t: string) => Number((await sql<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${t}`))[0]!.n);
    return { sds: await n('sds_document'), archive: await n('archive_document'), blobs: blobFiles(s.dataDir) };
  }

  beforeAll(async () => {
    s = await startServer(db, {}, { packageMaker: maker });
    demo = (await s.rt.services.find('demo'))!;
    await s.rt.services.create('other', 'other-password-1');
    call = await nodeSoapClient(`${s.url}/ws/packagingservice-v4`, { service: 'demo', password: s.demoPassword });
    f.request = await createRequest(
      'demo',
      s.demoPassword,
      doc('loan', 'application/pdf', pdf) + doc('terms', 'text/plain', Buffer.from('Terms: 3 % a year.\n')),
      task('loan', 'terms'),
    );
    const keys = await generateKeys();
    const certificate = await (
      await s.rt.ca()
    ).issuePerson({ commonName: 'Ann Berg', pid: '9208-2002-2-123456789012', publicKey: keys.publicKey });
    const signed = await signTask(s.rt, demo, f.request, { certificate, keys }, { documentIds: ['loan', 'terms'] });
    if (!signed.ok) throw new Error(`signing failed: ${JSON.stringify(signed)}`);
    f.sdoLoan = (await download(`/doc/demo/order/${f.request}/t1/loan/sdo`)).bytes;
    f.sdoTerms = (await download(`/doc/demo/order/${f.request}/t1/terms/sdo`)).bytes;
    expect(f.sdoLoan.toString('utf8')).toBe(signed.packageXml);
    f.sdsSdo = await upload('demo', s.demoPassword, 'application/x-ltv-sdo', f.sdoTerms);
    f.sdsPdf = await upload('demo', s.demoPassword, 'application/pdf', pdf);
    f.unsigned = await createRequest('demo', s.demoPassword, doc('copy', 'application/x-ltv-sdo', f.sdoLoan, true), task('copy'));
    f.archiveSdo = await archiveIdOf(f.unsigned);
    f.otherRequest = await createRequest('other', 'other-password-1', doc('o', 'application/x-ltv-sdo', f.sdoLoan, true), task('o'));
    f.otherArchive = await archiveIdOf(f.otherRequest);
    f.otherSds = await upload('other', 'other-password-1', 'application/x-ltv-sdo', f.sdoLoan);
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
  });
  beforeEach(() => {
    maker.calls = [];
    maker.made = [];
  });

  const ok = async (args: Record<string, unknown>): Promise<{ id: string; payload: string }> => {
    const r = await call(args);
    if ('fault' in r) throw new Error(`fault: ${r.fault}`);
    expect(r.result.error).toBeUndefined();
    const payload = bodyPayload(r.raw)!;
    expect(await packagingSchemaErrors(payload)).toBe('');
    expect(r.result.id).toMatch(SIGNICAT_ID);
    return { id: r.result.id!, payload };
  };
  const orderRef = (req: string, task: string, docId: string, kind: 'sdo' | 'original') =>
    `${s.url}/doc/demo/order/${req}/${task}/${docId}/${kind}`;

  describe('success, with the test-only maker', () => {
    test('an order result (type defaults to result) reaches the maker as the stored LTV-SDO; the id downloads as application/x-pades', async () => {
      const before = await stored();
      const { id } = await ok({ sdo: [{ 'order-document-id': { 'request-id': f.request, 'task-id': 't1', 'document-id': 'loan' } }] });
      expect(maker.calls).toHaveLength(1);
      const m = maker.calls[0]!;
      expect([m.serviceName, m.serviceId, m.method, m.packageId]).toEqual(['demo', demo.id, 'pades', id]);
      expect(m.sources.map((x) => x.ref)).toEqual([orderRef(f.request, 't1', 'loan', 'sdo')]);
      expect(Buffer.from(m.sources[0]!.sdo).equals(f.sdoLoan)).toBe(true);
      expect(m.sources[0]!.original).toBeUndefined();
      const got = await download(`/doc/demo/sds/${id}`);
      expect([got.status, got.type]).toEqual([200, 'application/x-pades']);
      expect(got.bytes.equals(maker.made[0]!)).toBe(true);
      const after = await stored();
      expect([after.sds - before.sds, after.archive - before.archive]).toEqual([1, 0]);
      expect(after.blobs.filter((b) => !before.blobs.includes(b)).map((b) => b.split('/').pop())).toEqual([sha256(maker.made[0]!)]);
    });

    test('send-result-to-archive=true answers an archive id that downloads from /doc/{service}/archive/{id}', async () => {
      const before = await stored();
      const { id } = await ok({ 'send-result-to-archive': true, sdo: [{ 'sds-document-id': { id: f.sdsSdo } }] });
      const got = await download(`/doc/demo/archive/${id}`);
      expect([got.status, got.type]).toEqual([200, 'application/x-pades']);
      expect(got.bytes.equals(maker.made[0]!)).toBe(true);
      expect((await download(`/doc/demo/sds/${id}`)).status).toBe(404);
      const after = await stored();
      expect([after.sds - before.sds, after.archive - before.archive]).toEqual([0, 1]);
      expect(Buffer.from(maker.calls[0]!.sources[0]!.sdo).equals(f.sdoTerms)).toBe(true);
    });

    test('sdo-extended: the original comes from the order (type source) or an SDS upload; a result without task-id finds its task', async () => {
      await ok({
        sdo: [{ 'order-document-id': { 'request-id': f.request, 'document-id': 'terms' } }],
        'sdo-extended': [
          {
            sdo: { 'order-document-id': { 'request-id': f.request, 'document-id': 'loan', type: 'result' } },
            'supplementary-data': {
              'original-document': { 'order-document-id': { 'request-id': f.request, 'document-id': 'loan', type: 'source' } },
            },
          },
          {
            sdo: { 'archive-document-id': { id: f.archiveSdo } },
            'supplementary-data': { 'original-document': { 'sds-document-id': { id: f.sdsPdf } } },
          },
        ],
      });
      const src = maker.calls[0]!.sources;
      expect(src.map((x) => x.ref)).toEqual([
        orderRef(f.request, 't1', 'terms', 'sdo'),
        orderRef(f.request, 't1', 'loan', 'sdo'),
        `${s.url}/doc/demo/archive/${f.archiveSdo}`,
      ]);
      expect(Buffer.from(src[0]!.sdo).equals(f.sdoTerms)).toBe(true);
      expect(Buffer.from(src[1]!.sdo).equals(f.sdoLoan)).toBe(true);
      expect(Buffer.from(src[2]!.sdo).equals(f.sdoLoan)).toBe(true); // the archived copy
      expect(src[0]!.original).toBeUndefined();
      for (const i of [1, 2]) {
        expect(src[i]!.original!.mimeType).toBe('application/pdf');
        expect(Buffer.from(src[i]!.original!.bytes).equals(pdf)).toBe(true);
      }
    });

    test('uri-document-id naming this instance (result-uri, SDS, archive, original-uri) is resolved internally', async () => {
      const st = await post(
        s.endpoint,
        envelope(
          `<get-status-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request-id>${f.request}</request-id></get-status-request>`,
        ),
      );
      const resultUri = /<result-uri>([^<]+)</.exec(st.text)![1]!;
      expect(resultUri).toBe(orderRef(f.request, 't1', 'loan', 'sdo'));
      await ok({
        sdo: [{ 'uri-document-id': resultUri }, { 'uri-document-id': `${s.url}/doc/demo/sds/${f.sdsSdo}` }],
        'sdo-extended': [
          {
            sdo: { 'uri-document-id': `${s.url}/doc/demo/archive/${f.archiveSdo}` },
            'supplementary-data': { 'original-document': { 'uri-document-id': orderRef(f.request, 't1', 'loan', 'original') } },
          },
        ],
      });
      const src = maker.calls[0]!.sources;
      expect(src.map((x) => x.ref)).toEqual([resultUri, `${s.url}/doc/demo/sds/${f.sdsSdo}`, `${s.url}/doc/demo/archive/${f.archiveSdo}`]);
      expect([f.sdoLoan, f.sdoTerms, f.sdoLoan].every((b, i) => Buffer.from(src[i]!.sdo).equals(b))).toBe(true);
      expect(Buffer.from(src[2]!.original!.bytes).equals(pdf)).toBe(true);
    });

    test('zeep (strict, reference WSDL) packages mixed sdo and sdo-extended in the order given', async () => {
      requireZeep();
      const [r] = await zeepCalls(`${s.url}/ws/packagingservice-v4`, [
        {
          version: '4',
          service: 'demo',
          password: s.demoPassword,
          'validation-policy': 'ltvsdo-validator',
          'packaging-method': 'pades',
          'send-result-to-archive': false,
          _value_1: [
            { sdo: { 'sds-document-id': { id: f.sdsSdo } } },
            { 'sdo-extended': { sdo: { 'order-document-id': { 'request-id': f.request, 'document-id': 'loan' } } } },
            { sdo: { 'uri-document-id': orderRef(f.request, 't1', 'terms', 'sdo') } },
          ],
        },
      ]);
      expect(r).toEqual({ id: expect.stringMatching(SIGNICAT_ID), error: null });
      expect(maker.calls[0]!.sources.map((x) => x.ref)).toEqual([
        `${s.url}/doc/demo/sds/${f.sdsSdo}`,
        orderRef(f.request, 't1', 'loan', 'sdo'), // zeep sent <type xsi:nil="true"/>: the default, result
        orderRef(f.request, 't1', 'terms', 'sdo'),
      ]);
      const got = await download(`/doc/demo/sds/${(r as { id: string }).id}`);
      expect(got.bytes.equals(maker.made[0]!)).toBe(true);
    });
  });

  describe('refusals: an error in the response, the maker not called, nothing stored', () => {
    /** Runs `run`, then checks the answer is `error` with this code and message and that nothing was stored. */
    async function refused(run: () => Promise<PackageAnswer>, code: string, message: RegExp, makerCalls = 0): Promise<void> {
      const before = await stored();
      const answer = await run();
      expect(answer.id).toBeUndefined();
      expect(answer.error?.code).toBe(code);
      expect(answer.error?.message).toMatch(message);
      expect(maker.calls).toHaveLength(makerCalls);
      expect(await stored()).toEqual(before);
    }
    const viaSoap = (args: Record<string, unknown>) => async () => {
      const r = await call(args);
      if ('fault' in r) throw new Error(`fault: ${r.fault}`);
      expect(await packagingSchemaErrors(bodyPayload(r.raw)!)).toBe('');
      return r.result;
    };
    const sdo = (id: Record<string, unknown>) => viaSoap({ sdo: [id] });

    const cases: Array<[string, () => Record<string, unknown>, string, RegExp]> = [
      [
        'an unknown request',
        () => ({ 'order-document-id': { 'request-id': 'nope', 'document-id': 'loan' } }),
        'not-found',
        /^sdo\[0\]: no request "nope" exists for service demo$/,
      ],
      [
        'an unknown SDS id',
        () => ({ 'sds-document-id': { id: 'nope' } }),
        'not-found',
        /^sdo\[0\]: no SDS document "nope" exists for service demo$/,
      ],
      [
        'an unknown archive id',
        () => ({ 'archive-document-id': { id: 'nope' } }),
        'not-found',
        /^sdo\[0\]: no archived document "nope" exists for service demo$/,
      ],
      [
        'an unknown document of a known request',
        () => ({ 'order-document-id': { 'request-id': f.request, 'task-id': 't1', 'document-id': 'zzz' } }),
        'not-found',
        /^sdo\[0\]: document: .*"zzz"/,
      ],
      [
        'a document not signed yet',
        () => ({ 'order-document-id': { 'request-id': f.unsigned, 'document-id': 'copy' } }),
        'not-found',
        /has no signed result yet/,
      ],
      [
        "another service's request",
        () => ({ 'order-document-id': { 'request-id': f.otherRequest, 'document-id': 'o' } }),
        'not-found',
        /^sdo\[0\]: no request ".*" exists for service demo$/,
      ],
      [
        "another service's SDS id",
        () => ({ 'sds-document-id': { id: f.otherSds } }),
        'not-found',
        /^sdo\[0\]: no SDS document ".*" exists for service demo$/,
      ],
      [
        "another service's archive id",
        () => ({ 'archive-document-id': { id: f.otherArchive } }),
        'not-found',
        /^sdo\[0\]: no archived document ".*" exists for service demo$/,
      ],
      [
        'a document-id with none of its four kinds',
        () => ({}),
        'invalid-request',
        /^sdo\[0\]: must contain exactly one of .* \(found none\)$/,
      ],
      [
        'a document-id with two kinds',
        () => ({ 'archive-document-id': { id: f.archiveSdo }, 'sds-document-id': { id: f.sdsSdo } }),
        'invalid-request',
        /\(found archive-document-id, sds-document-id\)$/,
      ],
      [
        'an SDS upload that is a PDF, as an sdo',
        () => ({ 'sds-document-id': { id: f.sdsPdf } }),
        'not-an-sdo',
        /is application\/pdf, not an LTV-SDO/,
      ],
      [
        'a URI of another host',
        () => ({ 'uri-document-id': `https://example.com/doc/demo/sds/${f.sdsSdo}` }),
        'not-allowed-uri',
        /^sdo\[0\]\/uri-document-id: only this service's own document URLs/,
      ],
      [
        'a URI of another service on this instance',
        () => ({ 'uri-document-id': `${s.url}/doc/other/sds/${f.otherSds}` }),
        'not-allowed-uri',
        /own document URLs/,
      ],
      [
        'a URI of this instance that is no document',
        () => ({ 'uri-document-id': `${s.url}/ws/documentservice-v3` }),
        'not-allowed-uri',
        /own document URLs/,
      ],
      [
        'a document URI with more path',
        () => ({ 'uri-document-id': `${s.url}/doc/demo/sds/${f.sdsSdo}/more` }),
        'not-allowed-uri',
        /own document URLs/,
      ],
      [
        'a document URI with a query',
        () => ({ 'uri-document-id': `${s.url}/doc/demo/sds/${f.sdsSdo}?x=1` }),
        'not-allowed-uri',
        /own document URLs/,
      ],
      [
        'a document URI with credentials',
        () => ({ 'uri-document-id': s.url.replace('://', `://demo:${s.demoPassword}@`) + `/doc/demo/sds/${f.sdsSdo}` }),
        'not-allowed-uri',
        /own document URLs/,
      ],
      ['a file: URI', () => ({ 'uri-document-id': 'file:///etc/passwd' }), 'not-allowed-uri', /own document URLs/],
    ];
    test.each(cases)('%s', async (_label, id, code, message) => {
      await refused(sdo(id()), code, message);
    });

    test('a URI of another listener (http://127.0.0.1:…) is refused and that listener is never called', async () => {
      let hits = 0;
      const listener = http.createServer((_req, res) => {
        hits++;
        res.end('x');
      });
      await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
      const port = (listener.address() as AddressInfo).port;
      try {
        await refused(
          sdo({ 'uri-document-id': `http://127.0.0.1:${port}/doc/demo/sds/${f.sdsSdo}` }),
          'not-allowed-uri',
          /own document URLs/,
        );
        await refused(
          viaSoap({
            'sdo-extended': [
              {
                sdo: { 'sds-document-id': { id: f.sdsSdo } },
                'supplementary-data': { 'original-document': { 'uri-document-id': `http://127.0.0.1:${port}/x.pdf` } },
              },
            ],
          }),
          'not-allowed-uri',
          /^sdo-extended\[0\]\/supplementary-data\/original-document\/uri-document-id: /,
        );
        await new Promise((r) => setTimeout(r, 200));
        expect(hits).toBe(0);
      } finally {
        await new Promise((r) => listener.close(r));
      }
    });

    test('zero SDOs, the same SDO twice, an unknown version or validation-policy', async () => {
      await refused(viaSoap({}), 'invalid-request', /^sdo, sdo-extended: at least one SDO is required$/);
      await refused(
        viaSoap({ sdo: [{ 'sds-document-id': { id: f.sdsSdo } }, { 'uri-document-id': `${s.url}/doc/demo/sds/${f.sdsSdo}` }] }),
        'invalid-request',
        /^sdo\[1\]: names the same SDO as sdo\[0\]/,
      );
      const one = { sdo: [{ 'sds-document-id': { id: f.sdsSdo } }] };
      await refused(viaSoap({ ...one, version: '3' }), 'invalid-request', /^version: must be 4 or 4\.0 \(got "3"\)$/);
      await refused(
        viaSoap({ ...one, 'validation-policy': 'xades-validator' }),
        'invalid-request',
        /^validation-policy: "xades-validator" is not known/,
      );
    });

    test('a request that breaks the schema is an error too, not a SOAP fault', async () => {
      const raw = (inner: string) => async () => {
        const r = await post(
          `${s.url}/ws/packagingservice-v4`,
          envelope(
            `<create-package-request xmlns="${PKG_NS}"><version>4</version><service>demo</service><password>${s.demoPassword}</password><validation-policy>ltvsdo-validator</validation-policy><packaging-method>pades</packaging-method>${inner}</create-package-request>`,
          ),
        );
        expect(r.status).toBe(200);
        expect(await packagingSchemaErrors(bodyPayload(r.text)!)).toBe('');
        const m = /<code>([^<]*)<\/code><message>([^<]*)<\/message>/.exec(r.text)!;
        return { error: { code: m[1]!, message: m[2]!.replace(/&quot;/g, '"') } };
      };
      await refused(
        raw('<send-result-to-archive>maybe</send-result-to-archive>'),
        'invalid-request',
        /^send-result-to-archive: "maybe" is not an xs:boolean/,
      );
      await refused(raw('<sdo><sds-document-id/></sdo>'), 'invalid-request', /^sdo\[0\]\/sds-document-id\/id: is required$/);
      await refused(
        raw('<sdo><order-document-id><request-id>r</request-id><document-id>d</document-id><type>both</type></order-document-id></sdo>'),
        'invalid-request',
        /type: "both" is not a order-document-type/,
      );
    });

    test("the maker's refusal is answered as it gave it, and nothing is stored", async () => {
      maker.next = 'refuse';
      await refused(
        sdo({ 'sds-document-id': { id: f.sdsSdo } }),
        'sdo-invalid',
        /\/doc\/demo\/sds\/.*: the seal does not verify \(test\)$/,
        1,
      );
    });

    test('a maker that throws is internal-error with a reference, and nothing is stored', async () => {
      maker.next = 'throw';
      await refused(sdo({ 'sds-document-id': { id: f.sdsSdo } }), 'internal-error', /^internal error \(reference [0-9a-f]{8}\)$/, 1);
    });

    test("when the package's row cannot be written, its blob goes again (internal-error)", async () => {
      let clash = '';
      // The package id is taken just before the row is written: a row with that id makes the insert fail.
      maker.next = async (input) => {
        clash = input.packageId;
        await sqlRun(
          'INSERT INTO sds_document (id, service_id, mime_type, size, sha256, blob_key, created_at, last_used_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [clash, demo.id, 'text/plain', 1, 'x', 'not-a-blob', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2099-01-01T00:00:00Z'],
        );
      };
      const before = await stored();
      const r = await call({ sdo: [{ 'sds-document-id': { id: f.sdsSdo } }] });
      if ('fault' in r) throw new Error(r.fault);
      expect(r.result.error?.code).toBe('internal-error');
      const after = await stored();
      expect(after.sds - before.sds).toBe(1); // the clashing row only
      expect(after.blobs).toEqual(before.blobs); // the package's blob was written, then released
      expect(before.blobs.some((b) => b.endsWith(sha256(maker.made[0]!)))).toBe(false);
      await sqlRun('DELETE FROM sds_document WHERE id = ?', [clash]);
    });

    test('a wrong password is a SOAP fault (as on the other endpoints), and nothing is stored', async () => {
      const before = await stored();
      const bad = await nodeSoapClient(`${s.url}/ws/packagingservice-v4`, { service: 'demo', password: 'wrong-password' });
      const r = await bad({ sdo: [{ 'sds-document-id': { id: f.sdsSdo } }] });
      expect(r).toEqual({ fault: expect.stringMatching(/service or password is wrong/) });
      expect(maker.calls).toHaveLength(0);
      expect(await stored()).toEqual(before);
    });
  });
});
