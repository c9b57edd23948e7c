// A request's packaging task with segl's own maker (src/packaging/maker.ts, the runtime's default):
// two tasks signed by the real pipeline → the segl-packaging worker makes ONE PAdES from their two
// LTV-SDOs → getPackagingTaskStatus's result-uri and a later view task's document both give it, and
// outside tools check it: qpdf --check, pdfsig (seal valid, certificate trusted under the test root),
// pdfdetach (exactly the two LTV-SDOs, byte for byte the order's results).
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceAccount } from '../../src/core/ports';
import { generateKeys } from '../../src/trust/crypto';
import { pdfsigTrusting, run, type Run } from '../support/pades';
import { eventually } from '../support/receiver';
import { startServer, type TestServer } from '../support/server';
import { signTask } from '../support/sign';
import { createRequestXml } from '../support/soap';

jest.setTimeout(180_000);

let s: TestServer;
let demo: ServiceAccount;
let dir: string;
let pdfsig: (file: string) => Promise<Run>;

const auth = () => ({ authorization: `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}` });
const download = async (url: string) => {
  const r = await fetch(url, { headers: auth() });
  return { status: r.status, type: r.headers.get('content-type'), bytes: Buffer.from(await r.arrayBuffer()) };
};

async function createRequest(): Promise<string> {
  const doc = (id: string, text: string) =>
    `<document xsi:type="provided-document" id="${id}" mime-type="text/plain"><data>${Buffer.from(text).toString('base64')}</data><description>${id}</description></document>`;
  const body =
    doc('d1', 'Loan agreement 42\n') +
    doc('d2', 'Guarantee for loan 42\n') +
    '<document xsi:type="packaging-result-document" id="pr1" ref-packaging-task-id="p1"/>' +
    '<task id="t1"><document-action type="sign"><document-ref>d1</document-ref></document-action></task>' +
    '<task id="t2"><document-action type="sign"><document-ref>d2</document-ref></document-action></task>' +
    '<task id="t3"><document-action type="view"><document-ref>pr1</document-ref></document-action></task>' +
    '<packaging-task packaging-task-id="p1" method="pades">' +
    '<packaging-task-document task-id="t1" document-id="d1"/><packaging-task-document task-id="t2" document-id="d2"/></packaging-task>';
  return createRequestXml(s.endpoint, 'demo', s.demoPassword, body);
}

async function sign(requestId: string, task: string, doc: string, commonName: string, pid: string): Promise<void> {
  const keys = await generateKeys();
  const certificate = await (await s.rt.ca()).issuePerson({ commonName, pid, publicKey: keys.publicKey });
  const out = await signTask(s.rt, demo, requestId, { certificate, keys }, { taskId: task, documentIds: [doc] });
  if (!out.ok) throw new Error(`signing ${task} failed: ${JSON.stringify(out)}`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segl-pkgtask-pades-'));
  s = await startServer('sqlite', { SEGL_RELAY_INTERVAL: '100ms' }, { worker: true });
  demo = (await s.rt.services.find('demo'))!;
  pdfsig = await pdfsigTrusting(dir, (await s.rt.ca()).pem('root'));
});

afterAll(async () => {
  await s?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('both tasks signed → the worker packages their two LTV-SDOs into one sealed PAdES that qpdf, pdfsig and pdfdetach accept', async () => {
  const requestId = await createRequest();
  await sign(requestId, 't1', 'd1', 'Ann Berg', '9208-2002-2-111111111111');
  await sign(requestId, 't2', 'd2', 'Bo Dahl', '9208-2002-2-222222222222');
  const status = await eventually(
    async () => {
      const [p] = await s.rt.documents.requests.getPackagingTaskStatus(demo, [requestId]);
      return p!.packagingTaskStatus !== 'created' ? p : null;
    },
    90_000,
    'the packaging task to end',
  );
  expect(status.packagingTaskStatus).toBe('completed');
  const pkg = await download(status.packagingDocumentStatus![0]!.resultUri!);
  expect(pkg.status).toBe(200);
  expect(pkg.type).toBe('application/x-pades');
  const file = join(dir, 'package.pdf');
  await writeFile(file, pkg.bytes);

  const q = await run('qpdf', ['--check', file]);
  expect(q.out).toMatch(/No syntax or stream encoding errors found/);
  expect(q.code).toBe(0);

  const seal = (await pdfsig(file)).out.split(/^Signature #\d+:/m).find((x) => x.includes('segl-seal'))!;
  expect(seal).toMatch(/Signature Validation: Signature is Valid\./);
  expect(seal).toMatch(/Certificate Validation: Certificate is Trusted\./);

  const out = join(dir, 'detached');
  await run('mkdir', ['-p', out]);
  expect((await run('pdfdetach', ['-saveall', '-o', out, file])).code).toBe(0);
  const attached = (await readdir(out)).filter((f) => f.endsWith('.ltvsdo.xml')).sort();
  expect(attached).toHaveLength(2);
  const results = await Promise.all(
    ['t1/d1', 't2/d2'].map(async (x) => (await download(`${s.url}/doc/demo/order/${requestId}/${x}/sdo`)).bytes),
  );
  const files = await Promise.all(attached.map((f) => readFile(join(out, f))));
  expect(files.map((b) => b.toString('base64')).sort()).toEqual(results.map((b) => b.toString('base64')).sort());

  // The later view task shows the same package.
  const view = await download(`${s.url}/doc/demo/order/${requestId}/t3/pr1/original`);
  expect(view.type).toBe('application/pdf');
  expect(view.bytes.equals(pkg.bytes)).toBe(true);
});
