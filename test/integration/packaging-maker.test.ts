// src/packaging/maker.ts on its own (no server): the same SDO named twice is packaged once (two
// packaging-task-documents of one bundled task), an sdo-extended original must be one of the SDO's
// documents, and a refused package makes nothing. pdfdetach and pdftotext read what it made.
import '../../src/trust/crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PadesMaker } from '../../src/packaging/maker';
import { SigningPipeline } from '../../src/signing/pipeline';
import { createTestPki, type TestPki } from '../../src/testca/pki';
import type { TrustSetup } from '../../src/signing/trust';
import { run } from '../support/pades';
import { makePdf } from '../support/pdf';
import { TEST_URLS } from '../support/person';
import { sealedSdo, trustFor } from '../support/sdo';

jest.setTimeout(120_000);

const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-maker-'));
let pki: TestPki;
let trust: TrustSetup;
let maker: PadesMaker;
const sdo: Uint8Array[] = [];
const loan = makePdf({ text: 'Loan agreement 77' });
const input = (sources: Array<{ ref: string; sdo: Uint8Array; original?: { bytes: Uint8Array; mimeType: string } }>) => ({
  serviceId: 1,
  serviceName: 'demo',
  method: 'pades',
  packageId: 'pkg-maker',
  sources,
  now: new Date(),
});

beforeAll(async () => {
  pki = await createTestPki({ urls: TEST_URLS });
  trust = trustFor(pki);
  maker = new PadesMaker({ trust, verificationUrl: 'https://segl.example/verify' });
  const pipeline = new SigningPipeline(trust);
  for (const [name, pid] of [
    ['Åse Øvergård', '9208-2002-2-111111111111'],
    ['Jürgen Šebestík', '9208-2002-2-222222222222'],
  ] as const)
    sdo.push(
      await sealedSdo(pki, pipeline, {
        name,
        pid,
        taskId: `t${sdo.length + 1}`,
        signText: 'I agree.',
        documents: [{ id: 'loan', description: 'Loan', mimeType: 'application/pdf', bytes: loan }],
      }),
    );
});

test('the same SDO twice is packaged once: one attachment, one signer on the cover', async () => {
  const out = await maker.make(
    input([
      { ref: 'order:r/t1/loan', sdo: sdo[0]! },
      { ref: 'order:r/t1/loan-again', sdo: sdo[0]! },
      { ref: 'order:r/t2/loan', sdo: sdo[1]! },
    ]),
  );
  if (!out.ok) throw new Error(out.message);
  writeFileSync(path.join(dir, 'twice.pdf'), out.pdf);
  expect((await run('pdfdetach', ['-list', path.join(dir, 'twice.pdf')])).out).toMatch(/^3 embedded files/m);
  await run('pdfdetach', ['-save', '3', '-o', path.join(dir, 'package.json'), path.join(dir, 'twice.pdf')]);
  expect(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).signatures).toHaveLength(2);
  // the cover reads as it does for the two SDOs named once each
  const once = await maker.make(
    input([
      { ref: 'order:r/t1/loan', sdo: sdo[0]! },
      { ref: 'order:r/t2/loan', sdo: sdo[1]! },
    ]),
  );
  if (!once.ok) throw new Error(once.message);
  writeFileSync(path.join(dir, 'once.pdf'), once.pdf);
  const count = async (f: string) =>
    (await run('pdftotext', ['-enc', 'UTF-8', path.join(dir, f), '-'])).out.split('Åse Øvergård').length - 1;
  expect(await count('once.pdf')).toBeGreaterThan(0);
  expect(await count('twice.pdf')).toBe(await count('once.pdf'));
});

test('an sdo-extended original that the SDO did not sign is original-mismatch; nothing is made', async () => {
  const out = await maker.make(
    input([{ ref: 'sds:1', sdo: sdo[0]!, original: { bytes: makePdf({ text: 'another' }), mimeType: 'application/pdf' } }]),
  );
  expect(out).toEqual({ ok: false, code: 'original-mismatch', message: expect.stringMatching(/^sds:1: /) });
  const same = await maker.make(input([{ ref: 'sds:1', sdo: sdo[0]!, original: { bytes: loan, mimeType: 'application/pdf' } }]));
  expect(same.ok).toBe(true);
});

test('an unknown method and zero SDOs are refused before anything is read', async () => {
  expect(await maker.make({ ...input([{ ref: 'x', sdo: sdo[0]! }]), method: 'nope' })).toMatchObject({
    ok: false,
    code: 'unknown-packaging-method',
  });
  expect(await maker.make(input([]))).toMatchObject({ ok: false, code: 'invalid-request' });
});
