// What the packaging phase packages, made before anything is timed: the built-in test PKI as a TrustSetup
// (every certificate good; the TSA and the OCSP responders answering in process, as test/support/sdo.ts
// builds it: bench code does not import test/), sealed LTV-SDOs made the real way by SigningPipeline, a
// 100-page text PDF and a large scanned-like PDF, both written with @cantoo/pdf-lib. The PKI is saved with
// src/testca/store.ts so every worker process packages under the same trust.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  concatTransformationMatrix,
  drawObject,
  PDFDocument,
  popGraphicsState,
  pushGraphicsState,
  rgb,
  StandardFonts,
} from '@cantoo/pdf-lib';
import * as fontkit from '@cantoo/fontkit';
import { SigningPipeline } from '../src/signing/pipeline';
import { withSeals, type TrustSetup } from '../src/signing/trust';
import { createTestPki, issuePersonCertificate, type TestPki } from '../src/testca/pki';
import { loadTestPki, saveTestPki } from '../src/testca/store';
import { TSA_POLICY } from '../src/testca/testca';
import { generateKeys } from '../src/trust/crypto';
import { respondOcsp } from '../src/trust/ocsp/responder';
import { respondTimestamp } from '../src/trust/tsp/responder';
import { ocspRevocationSource } from '../src/trust/validation/revocation';

export const BENCH_URLS = { ocsp: 'http://segl.bench/ocsp', crl: 'http://segl.bench/crl', caIssuers: 'http://segl.bench/ca' };
/** protects the keys of the PKI saved in the phase's temporary directory (deleted at the end) */
const PKI_SECRET = 'segl-bench-packaging';

/** The test PKI as a TrustSetup: every certificate good, the TSA and the OCSP responders in process. */
export function trustFor(pki: TestPki): TrustSetup {
  const good = async () => ({ status: 'good' as const });
  return withSeals({
    seal: pki.seal,
    sealChain: [pki.serviceCa.certificate, pki.root.certificate],
    anchors: [pki.root.certificate],
    intermediates: [pki.personCa.certificate, pki.serviceCa.certificate],
    timestamp: (req) => respondTimestamp(req, { tsa: pki.tsa, policyOid: TSA_POLICY }),
    revocation: ocspRevocationSource({
      fetch: (_url, der) =>
        respondOcsp(der, [
          { responder: pki.ocsp, issuer: pki.personCa.certificate, lookup: good },
          { responder: pki.serviceOcsp, issuer: pki.serviceCa.certificate, lookup: good },
          { responder: pki.root, issuer: pki.root.certificate, lookup: good },
        ]),
    }),
  });
}

export async function newPki(dir: string): Promise<TestPki> {
  const pki = await createTestPki({ urls: BENCH_URLS });
  await saveTestPki(dir, pki, PKI_SECRET, BENCH_URLS, 'segl bench');
  return pki;
}

export const loadPki = (dir: string): Promise<TestPki> => loadTestPki(dir, PKI_SECRET);

/** One person (a new POCES certificate) signs the PDF `bytes` as document `doc1` through `pipeline`: the sealed LTV-SDO. */
export async function sealedSdo(
  pki: TestPki,
  pipeline: SigningPipeline,
  o: { name: string; pid: string; taskId: string; requestId: string; bytes: Uint8Array },
): Promise<Uint8Array> {
  const keys = await generateKeys();
  const certificate = await issuePersonCertificate(pki.personCa, {
    commonName: o.name,
    pid: o.pid,
    kind: 'POCES',
    publicKey: keys.publicKey,
    urls: BENCH_URLS,
  });
  const out = await pipeline.sign({
    requestId: o.requestId,
    taskId: o.taskId,
    signer: { certificate, keys },
    signText: `I, ${o.name}, approve the contract.`,
    documents: [{ id: 'doc1', description: 'Contract', mimeType: 'application/pdf', bytes: o.bytes }],
    audit: [],
  });
  if (!out.ok) throw new Error(`packaging setup: the SDO for ${o.name} was refused at ${out.stage}: ${out.reason}`);
  return out.bytes;
}

const WORDS = (
  'the borrower lender agrees to pay interest monthly according schedule annex principal amount shall be repaid ' +
  'in full before maturity date any late payment carries a fee of percent per annum security collateral property ' +
  'insurance notice writing parties governing law Danish courts Copenhagen jurisdiction clause section article ' +
  'Øresund blåbær smørrebrød æble øl ål Århus Jyväskylä Müller Šebestík'
).split(' ');

/** A deterministic pseudo-random line of contract prose (a linear congruential generator: no Math.random). */
function proseLine(seed: number, words: number): string {
  let s = seed >>> 0;
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(WORDS[s % WORDS.length]!);
  }
  return out.join(' ');
}

/**
 * A `pages`-page contract numbered `id`: a heading, `lines` lines of prose and a footer per page, DejaVu Sans
 * (regular and bold) embedded as subsets. 100 pages of 46 lines are about 450 KB.
 */
export async function contractPdf(pages: number, id = 42, lines = 46): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const font = await doc.embedFont(readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')), { subset: true });
  const bold = await doc.embedFont(readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf')), { subset: true });
  doc.setTitle(`Loan agreement ${id} (bench)`);
  for (let p = 0; p < pages; p++) {
    const page = doc.addPage([595, 842]);
    page.drawText(`Loan agreement ${id} — § ${p + 1}`, { x: 50, y: 790, size: 16, font: bold });
    for (let l = 0; l < lines; l++)
      page.drawText(proseLine(id * 100_003 + p * 1000 + l, 14), { x: 50, y: 760 - l * 15, size: 10, font, color: rgb(0.1, 0.1, 0.1) });
    page.drawText(`Page ${p + 1} of ${pages}`, { x: 270, y: 30, size: 9, font });
  }
  return doc.save();
}

/**
 * A scanned-like PDF of about `bytes` bytes: each page one 1024×768 RGB image of noise (2.25 MiB, stored
 * without a filter, so nothing compresses it) and a text line. Random data, so the size is what it says.
 */
export async function scanPdf(bytes: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const [w, h] = [1024, 768];
  const pages = Math.max(1, Math.ceil(bytes / (w * h * 3)));
  for (let p = 0; p < pages; p++) {
    const image = doc.context.register(
      doc.context.stream(randomBytes(w * h * 3), {
        Type: 'XObject',
        Subtype: 'Image',
        Width: w,
        Height: h,
        ColorSpace: 'DeviceRGB',
        BitsPerComponent: 8,
      }),
    );
    const page = doc.addPage([595, 842]);
    const name = page.node.newXObject('Scan', image);
    page.pushOperators(pushGraphicsState(), concatTransformationMatrix(495, 0, 0, 371, 50, 420), drawObject(name), popGraphicsState());
    page.drawText(`Scanned appendix, page ${p + 1} of ${pages}`, { x: 50, y: 380, size: 12, font });
  }
  return doc.save();
}

export const FILES = {
  pki: 'pki',
  contract: 'contract.pdf',
  contractSdo: (i: number) => `contract-sdo-${i + 1}.xml`,
  contractPackage: 'contract-package.pdf',
  onePageSdo: (i: number) => `onepage-sdo-${i + 1}.xml`,
  big: 'big.pdf',
  bigSdo: 'big-sdo.xml',
} as const;

export interface PrepareSpec {
  contractPages: number;
  signers: number;
  onePageSdos: number;
  /** bytes of the large PDF; 0 = none */
  bigBytes: number;
}

export interface PrepareResult {
  mode: 'prepare';
  seconds: { pki: number; contract: number; contractSdos: number; onePage: number; big: number };
  contract: { pages: number; pdfBytes: number; sdoBytes: number[] };
  onePage: { count: number; pdfBytes: number; sdoBytes: number };
  big: { pdfBytes: number; sdoBytes: number; pages: number } | null;
}

const round = (x: number, d = 2): number => Number(x.toFixed(d));
const since = (t: number): number => (performance.now() - t) / 1000;

/** Makes every input of the phase in `dir` (the worker's `prepare` mode). */
export async function prepare(dir: string, spec: PrepareSpec): Promise<PrepareResult> {
  const at = (f: string): string => path.join(dir, f);
  let t = performance.now();
  const pki = await newPki(at(FILES.pki));
  const pipeline = new SigningPipeline(trustFor(pki));
  const seconds = { pki: since(t), contract: 0, contractSdos: 0, onePage: 0, big: 0 };
  t = performance.now();
  const contract = await contractPdf(spec.contractPages);
  writeFileSync(at(FILES.contract), contract);
  seconds.contract = since(t);
  t = performance.now();
  const sdoBytes: number[] = [];
  for (let i = 0; i < spec.signers; i++) {
    const sdo = await sealedSdo(pki, pipeline, {
      name: `Signer ${i + 1} Ørsted`,
      pid: `9208-2002-2-${String(100000000000 + i)}`,
      taskId: `t${i + 1}`,
      requestId: 'bench-contract',
      bytes: contract,
    });
    writeFileSync(at(FILES.contractSdo(i)), sdo);
    sdoBytes.push(sdo.byteLength);
  }
  seconds.contractSdos = since(t);
  t = performance.now();
  let onePage = { count: spec.onePageSdos, pdfBytes: 0, sdoBytes: 0 };
  for (let i = 0; i < spec.onePageSdos; i++) {
    const pdf = await contractPdf(1, 1000 + i);
    const sdo = await sealedSdo(pki, pipeline, {
      name: `One-page Signer ${i + 1}`,
      pid: `9208-2002-2-${String(200000000000 + i)}`,
      taskId: 't1',
      requestId: `bench-onepage-${i + 1}`,
      bytes: pdf,
    });
    writeFileSync(at(FILES.onePageSdo(i)), sdo);
    onePage = { count: spec.onePageSdos, pdfBytes: pdf.byteLength, sdoBytes: sdo.byteLength };
  }
  seconds.onePage = since(t);
  t = performance.now();
  const big = spec.bigBytes > 0 ? await prepareBig(pki, pipeline, spec.bigBytes, at) : null;
  seconds.big = since(t);
  return {
    mode: 'prepare',
    seconds: Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, round(v, 2)])) as PrepareResult['seconds'],
    contract: { pages: spec.contractPages, pdfBytes: contract.byteLength, sdoBytes },
    onePage,
    big,
  };
}

async function prepareBig(
  pki: TestPki,
  pipeline: SigningPipeline,
  bytes: number,
  at: (f: string) => string,
): Promise<PrepareResult['big']> {
  const pdf = await scanPdf(bytes);
  writeFileSync(at(FILES.big), pdf);
  const sdo = await sealedSdo(pki, pipeline, {
    name: 'Big Signer',
    pid: '9208-2002-2-300000000000',
    taskId: 't1',
    requestId: 'bench-big',
    bytes: pdf,
  });
  writeFileSync(at(FILES.bigSdo), sdo);
  return { pdfBytes: pdf.byteLength, sdoBytes: sdo.byteLength, pages: Math.max(1, Math.ceil(bytes / (1024 * 768 * 3))) };
}
