// create-package end to end with segl's own maker (src/packaging/maker.ts) on a running segl (HTTP,
// SQLite, blob store, its test CA answering OCSP at /pki/ocsp and time-stamps): two people sign two
// documents, a generated client (node-soap, from Signicat's WSDL) names the four documents (two bundled LTV-SDOs) for
// ONE PAdES, and outside tools check what comes back from /doc/demo/sds/{id}:
// qpdf --check; pdfsig with an NSS database trusting the test root (pdfsig asks the live OCSP
// responder); openssl cms -verify over the ByteRange bytes and cms -cmsout -print for the attributes;
// openssl ts -verify for the document time-stamp; pdfdetach for the attached LTV-SDOs, each equal to
// the order's result and verified by xmlsec1; pdftotext for the cover and a Nordic-letter text.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { ServiceAccount } from '../../src/core/ports';
import { generateKeys } from '../../src/trust/crypto';
import { readFileSync } from 'node:fs';
import fontkit from '@cantoo/fontkit';
import { PDFDocument } from '@cantoo/pdf-lib';
import { PackagingMethodRepository } from '../../src/store/packagingmethods';
import { blobFiles } from '../support/blobs';
import { nodeSoapClient, requireZeep, zeepCalls, type Call, type PackageAnswer } from '../support/packaging';
import { cmsVerify, covered, pdfsigTrusting, rawSignatures, run, type Run } from '../support/pades';
import { makePdf } from '../support/pdf';
import { startServer, type TestServer } from '../support/server';
import { signTask } from '../support/sign';
import { createRequestXml, post, REPO } from '../support/soap';

jest.setTimeout(180_000);

const NORDIC = 'Blåbærsyltetøy og smörgåsbord i Jyväskylä: ÆØÅ æøå ÄÖ äö šž.';
let s: TestServer;
let demo: ServiceAccount;
let call: Call;
let dir: string;
let pdfsig: (file: string) => Promise<Run>;
let requestId: string;
const sdos = new Map<string, Buffer>();
let pkg: { id: string; type: string | null; bytes: Buffer; file: string };

const auth = () => ({ authorization: `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}` });
async function download(pathname: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
  const r = await fetch(`${s.url}${pathname}`, { headers: auth() });
  return { status: r.status, type: r.headers.get('content-type'), bytes: Buffer.from(await r.arrayBuffer()) };
}
const order = (task: string, doc: string) => ({
  'order-document-id': { 'request-id': requestId, 'task-id': task, 'document-id': doc, type: 'result' },
});
async function createPackage(sdo: unknown[]): Promise<PackageAnswer> {
  const r = await call({ sdo });
  if ('fault' in r) throw new Error(r.fault);
  return r.result;
}
const at = (name: string) => join(dir, name);
/** The built CLI (bin/segl.js → dist/), as an integrator runs it, with the test root as its anchor. */
const seglVerify = (file: string) => run(process.execPath, [join(REPO, 'bin', 'segl.js'), 'verify', file, '--anchor', at('root.pem')], dir);
const stored = async () => ({ blobs: blobFiles(s.dataDir), sds: (await s.rt.db.query('SELECT COUNT(*) AS n FROM sds_document'))[0].n });

async function createRequest(): Promise<string> {
  const doc = (id: string, type: string, bytes: Buffer) =>
    `<document xsi:type="provided-document" id="${id}" mime-type="${type}"><data>${bytes.toString('base64')}</data><description>${id}</description></document>`;
  const task = (id: string) =>
    `<task id="${id}">${['loan', 'terms'].map((d) => `<document-action type="sign"><document-ref>${d}</document-ref></document-action>`).join('')}</task>`;
  const body =
    doc('loan', 'application/pdf', makePdf({ text: 'Loan agreement 42' })) +
    doc('terms', 'text/plain;charset=utf-8', Buffer.from(`Vilkår\n${NORDIC}\n`)) +
    task('t1') +
    task('t2');
  return createRequestXml(s.endpoint, 'demo', s.demoPassword, body);
}

async function sign(task: string, commonName: string, pid: string): Promise<void> {
  const keys = await generateKeys();
  const certificate = await (await s.rt.ca()).issuePerson({ commonName, pid, publicKey: keys.publicKey });
  const out = await signTask(s.rt, demo, requestId, { certificate, keys }, { taskId: task, documentIds: ['loan', 'terms'] });
  if (!out.ok) throw new Error(`signing ${task} failed: ${JSON.stringify(out)}`);
  for (const d of ['loan', 'terms']) sdos.set(`${task}/${d}`, (await download(`/doc/demo/order/${requestId}/${task}/${d}/sdo`)).bytes);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segl-pkg-pades-'));
  s = await startServer('sqlite');
  demo = (await s.rt.services.find('demo'))!;
  call = await nodeSoapClient(`${s.url}/ws/packagingservice-v4`, { service: 'demo', password: s.demoPassword });
  const ca = await s.rt.ca();
  await writeFile(at('root.pem'), ca.pem('root'));
  await writeFile(at('chain.pem'), [ca.pem('serviceCa'), ca.pem('tsa')].join('\n'));
  pdfsig = await pdfsigTrusting(dir, ca.pem('root'));
  requestId = await createRequest();
  await sign('t1', 'Åse Øvergård', '9208-2002-2-111111111111');
  await sign('t2', 'Jürgen Šebestík', '9208-2002-2-222222222222');
  const answer = await createPackage([order('t1', 'loan'), order('t1', 'terms'), order('t2', 'loan'), order('t2', 'terms')]);
  expect(answer.error).toBeUndefined();
  const got = await download(`/doc/demo/sds/${answer.id}`);
  pkg = { id: answer.id!, type: got.type, bytes: got.bytes, file: at('package.pdf') };
  await writeFile(pkg.file, pkg.bytes);
});

afterAll(async () => {
  await s?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('one PAdES from four packaging documents (two bundled LTV-SDOs), checked by outside tools', () => {
  test('downloads as application/x-pades, a PDF that qpdf finds clean', async () => {
    expect(pkg.type).toMatch(/^application\/x-pades/);
    expect(pkg.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const q = await run('qpdf', ['--check', pkg.file]);
    expect(q.out).toMatch(/No syntax or stream encoding errors found/);
    expect(q.code).toBe(0);
  });

  test("pdfsig: the platform seal is valid and its certificate trusted under segl's test root", async () => {
    const r = await pdfsig(pkg.file);
    const seal = r.out.split(/^Signature #\d+:/m).find((x) => x.includes('segl-seal'))!;
    expect(seal).toBeDefined();
    expect(seal).toMatch(/Signature Type: ETSI\.CAdES\.detached/);
    expect(seal).toMatch(/Signature Validation: Signature is Valid\./);
    expect(seal).toMatch(/Certificate Validation: Certificate is Trusted\./);
  });

  test('openssl: the seal CMS verifies over its ByteRange, has signing-certificate-v2 and no signing-time; the document time-stamp verifies', async () => {
    const sigs = rawSignatures(pkg.bytes);
    expect(sigs.map((x) => x.docTimestamp)).toEqual([false, true]);
    const [seal, docTs] = sigs as [(typeof sigs)[0], (typeof sigs)[0]];
    expect(seal.range[0]).toBe(0);
    await writeFile(at('seal.der'), seal.der);
    await writeFile(at('seal.bin'), covered(pkg.bytes, seal.range));
    const v = await cmsVerify(dir, 'seal.der', 'seal.bin');
    expect(v.out).toMatch(/CMS Verification successful/);
    const printed = (await run('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', 'seal.der'], dir)).out;
    expect(printed).toMatch(/signingCertificateV2/);
    expect(printed).not.toMatch(/signingTime/);
    await writeFile(at('docts.der'), docTs.der);
    const digest = createHash('sha256').update(covered(pkg.bytes, docTs.range)).digest('hex');
    const t = await run(
      'openssl',
      ['ts', '-verify', '-digest', digest, '-in', 'docts.der', '-token_in', '-CAfile', 'root.pem', '-untrusted', 'chain.pem'],
      dir,
    );
    expect(t.out).toMatch(/Verification: OK/);
    // The document time-stamp's range ends at the end of the file: it is the last revision.
    expect(docTs.range[2]! + docTs.range[3]!).toBe(pkg.bytes.length);
  });

  test("pdfdetach: each task's LTV-SDO once (it covers both of its documents; equal to the order results, verified by xmlsec1) and package.json", async () => {
    // A task that signs two documents in one act has ONE bundled LTV-SDO: the four packaging
    // documents name two distinct SDOs, and the package embeds each once.
    expect(sdos.get('t1/terms')!.equals(sdos.get('t1/loan')!)).toBe(true);
    expect(sdos.get('t2/terms')!.equals(sdos.get('t2/loan')!)).toBe(true);
    expect(sdos.get('t1/loan')!.equals(sdos.get('t2/loan')!)).toBe(false);
    const list = (await run('pdfdetach', ['-list', pkg.file])).out;
    expect(list).toMatch(/^3 embedded files/m);
    const out = at('detached');
    await run('mkdir', ['-p', out]);
    expect((await run('pdfdetach', ['-saveall', '-o', out, pkg.file])).code).toBe(0);
    const files = (await readdir(out)).sort();
    expect(files.filter((f) => f.endsWith('.ltvsdo.xml'))).toHaveLength(2);
    for (const task of ['t1', 't2']) {
      const name = files.find((f) => f.includes(`-${task}-loan-sdo`))!;
      expect(name).toBeDefined();
      const attached = await readFile(join(out, name));
      expect(attached.equals(sdos.get(`${task}/loan`)!)).toBe(true);
      const sealId = [...attached.toString('utf8').matchAll(/<ds:Signature[^>]*\sId="([^"]+)"/g)].pop()![1]!;
      const x = await run('xmlsec1', [
        '--verify',
        '--trusted-pem',
        at('root.pem'),
        '--untrusted-pem',
        at('chain.pem'),
        '--id-attr:Id',
        'http://www.w3.org/2000/09/xmldsig#:Signature',
        '--node-id',
        sealId,
        join(out, name),
      ]);
      expect(x.out).toMatch(/^OK$/m);
    }
    const manifest = JSON.parse(await readFile(join(out, 'package.json'), 'utf8'));
    expect(manifest.packageId).toBe(pkg.id);
    expect(manifest.signatures).toHaveLength(2);
    for (const sig of manifest.signatures) expect(sig.documents.map((d: { id: string }) => d.id)).toEqual(['loan', 'terms']);
    expect(manifest.signatures.map((sig: { signer: string }) => sig.signer)).toEqual(['Åse Øvergård', 'Jürgen Šebestík']);
  });

  test("pdftotext: each signer's name on the cover and the Nordic text document's words", async () => {
    const text = (await run('pdftotext', ['-enc', 'UTF-8', pkg.file, '-'])).out;
    expect(text).toContain('Åse Øvergård');
    expect(text).toContain('Jürgen Šebestík');
    expect(text).toContain('Blåbærsyltetøy');
    expect(text).toContain('Jyväskylä');
    expect(text).toContain('Loan agreement 42');
  });

  test('segl verify: the seal B-LTA, the document time-stamp and the two attached LTV-SDOs, all TOTAL-PASSED', async () => {
    const r = await seglVerify(pkg.file);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^TOTAL-PASSED \(PAdES: TOTAL-PASSED; \d+ revision\(s\); 2 LTV-SDO attachment\(s\)/);
    expect(r.out).toMatch(/^signature "segl-seal" \(ETSI\.CAdES\.detached\): TOTAL-PASSED, level B-LTA/m);
    expect(r.out.match(/^attachment .*\.ltvsdo\.xml: TOTAL-PASSED$/gm)).toHaveLength(2);
  });

  test('one flipped byte inside the signed range: pdfsig, openssl and segl verify all refuse it', async () => {
    const seal = rawSignatures(pkg.bytes)[0]!;
    const bad = Buffer.from(pkg.bytes);
    const i = bad.indexOf('Loan agreement 42') > 0 ? bad.indexOf('%PDF') + 12 : 10;
    expect(i).toBeLessThan(seal.range[1]!);
    bad[i] ^= 0x01;
    await writeFile(at('bad.pdf'), bad);
    const r = await pdfsig(at('bad.pdf'));
    expect(r.out.split(/^Signature #\d+:/m).find((x) => x.includes('segl-seal'))).not.toMatch(/Signature is Valid/);
    await writeFile(at('bad.bin'), covered(bad, seal.range));
    const v = await cmsVerify(dir, 'seal.der', 'bad.bin');
    expect(v.code).not.toBe(0);
    const segl = await seglVerify(at('bad.pdf'));
    expect(segl.code).toBe(1);
    expect(segl.out).toMatch(/^signature "segl-seal" .*TOTAL-FAILED HASH_FAILURE/m);
  });
});

describe("python-zeep (from Signicat's WSDL) makes a package too", () => {
  test('uri-document-ids of the two results (what getStatus answers) give one sealed PAdES, downloaded into the archive', async () => {
    requireZeep();
    const uri = (task: string) => `${s.url}/doc/demo/order/${requestId}/${task}/loan/sdo`;
    const [z] = await zeepCalls(`${s.url}/ws/packagingservice-v4`, [
      {
        version: '4',
        service: 'demo',
        password: s.demoPassword,
        'validation-policy': 'ltvsdo-validator',
        'packaging-method': 'pades',
        'send-result-to-archive': true,
        _value_1: [{ sdo: { 'uri-document-id': uri('t1') } }, { sdo: { 'uri-document-id': uri('t2') } }],
      },
    ]);
    if (!z || 'fault' in z) throw new Error(JSON.stringify(z));
    expect(z.error).toBeNull();
    const got = await download(`/doc/demo/archive/${z.id}`);
    expect(got.status).toBe(200);
    await writeFile(at('zeep.pdf'), got.bytes);
    const seal = (await pdfsig(at('zeep.pdf'))).out.split(/^Signature #\d+:/m).find((x) => x.includes('segl-seal'))!;
    expect(seal).toMatch(/Signature is Valid/);
    expect((await run('pdfdetach', ['-list', at('zeep.pdf')])).out).toMatch(/^3 embedded files/m);
  });
});

describe("a service's own packaging method (segl packaging set): template cover, Danish, PDF/A-3b", () => {
  test('create-package with it fills the template, marks PDF/A-3b, and the seal still verifies', async () => {
    const doc = await PDFDocument.create();
    doc.registerFontkit(fontkit);
    const font = await doc.embedFont(readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')), { subset: true });
    const page = doc.addPage([595.28, 841.89]);
    page.drawText('Acme Bank – forside', { x: 50, y: 800, size: 14, font });
    const form = doc.getForm();
    ['signers.1.name', 'signers.2.name', 'package.id'].forEach((name, i) =>
      form.createTextField(name).addToPage(page, { x: 200, y: 752 - i * 24, width: 360, height: 18 }),
    );
    form.createTextField('seal.box').addToPage(page, { x: 330, y: 60, width: 220, height: 80 });
    await new PackagingMethodRepository(s.rt.db).set(
      demo.id,
      'acme-dk',
      { language: 'da', maskNationalId: false, pdfa: true, template: await doc.save() },
      new Date().toISOString(),
    );
    const r = await call({ 'packaging-method': 'acme-dk', sdo: [order('t1', 'loan'), order('t2', 'loan')] });
    if ('fault' in r) throw new Error(r.fault);
    expect(r.result.error).toBeUndefined();
    await writeFile(at('acme.pdf'), (await download(`/doc/demo/sds/${r.result.id}`)).bytes);
    const text = (await run('pdftotext', ['-enc', 'UTF-8', at('acme.pdf'), '-'])).out;
    expect(text).toContain('Acme Bank – forside');
    expect(text).toContain('Åse Øvergård');
    expect(text).toContain('Jürgen Šebestík');
    expect(text).toContain(r.result.id!.slice(0, 40)); // package.id: the answered id (clipped to the template's field)
    expect((await readFile(at('acme.pdf'))).toString('latin1')).toMatch(/pdfaid:part>3<|pdfaid:part="3"/);
    expect((await seglVerify(at('acme.pdf'))).code).toBe(0);
  });
});

describe("the cover's verification link", () => {
  test('points at /verify, a translated page that links the root certificate the seal chains to', async () => {
    const text = (await run('pdftotext', ['-enc', 'UTF-8', pkg.file, '-'])).out;
    expect(text).toContain(`${s.url}/verify`);
    const da = await fetch(`${s.url}/verify`, { headers: { 'accept-language': 'da' } });
    expect(da.status).toBe(200);
    const page = await da.text();
    expect(page).toContain('<html lang="da"');
    expect(page).toContain('Sådan kontrollerer du en signeret PDF fra segl');
    const href = /<a href="([^"]+)">Hent platformens rodcertifikat</.exec(page)![1]!;
    const root = await (await fetch(`${s.url}${href}`)).text();
    expect(root.trim()).toBe((await s.rt.ca()).pem('root').trim());
    // the cover's link lands where the file can be checked in the browser: the viewer, in the reader's language
    expect(page).toContain('<a class="button" href="/viewer?lang=da">Kontrollér filen her i din browser: upload den til fremviseren</a>');
    const fi = await (await fetch(`${s.url}/verify?lang=fi`)).text();
    expect(fi).toContain('Näin tarkistat');
  });
});

describe('refusals answer error and store nothing', () => {
  async function upload(type: string, bytes: Buffer): Promise<string> {
    const r = await fetch(`${s.url}/doc/demo/sds`, { method: 'POST', headers: { ...auth(), 'content-type': type }, body: bytes });
    expect(r.status).toBe(201);
    return r.text();
  }

  test('a tampered LTV-SDO (one letter of the signer name) is sdo-invalid', async () => {
    const good = sdos.get('t1/loan')!.toString('utf8');
    const tampered = Buffer.from(good.replace('Åse Øvergård</', 'Åse Øvergårt</'));
    expect(tampered.equals(sdos.get('t1/loan')!)).toBe(false);
    const id = await upload('application/x-ltv-sdo', tampered);
    const before = await stored();
    const a = await createPackage([order('t2', 'loan'), { 'sds-document-id': { id } }]);
    expect(a.error?.code).toBe('sdo-invalid');
    expect(a.error?.message).toMatch(/does not verify/);
    expect(await stored()).toEqual(before);
  });

  test('a PDF where an SDO is expected is not-an-sdo; no SDO at all is refused', async () => {
    const id = await upload('application/pdf', makePdf({ text: 'not an SDO' }));
    const before = await stored();
    expect((await createPackage([{ 'sds-document-id': { id } }])).error?.code).toBe('not-an-sdo');
    expect((await createPackage([])).error?.code).toBe('invalid-request');
    expect(await stored()).toEqual(before);
  });

  test('an unknown packaging method is refused', async () => {
    const r = await post(
      `${s.url}/ws/packagingservice-v4`,
      `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><create-package-request xmlns="https://id.signicat.com/definitions/wsdl/Packaging-v4"><version>4</version><service>demo</service><password>${s.demoPassword}</password><validation-policy>ltvsdo-validator</validation-policy><packaging-method>no-such-method</packaging-method><send-result-to-archive>false</send-result-to-archive><sdo><order-document-id><request-id>${requestId}</request-id><task-id>t1</task-id><document-id>loan</document-id><type>result</type></order-document-id></sdo></create-package-request></soap:Body></soap:Envelope>`,
    );
    expect(r.text).toMatch(/<(\w+:)?code>unknown-packaging-method</);
  });
});
