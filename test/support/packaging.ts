// PackagingService v4 clients for tests, both generated from Signicat's reference WSDL (the fixture):
// node-soap, and python-zeep (strict) through test/integration/packaging_zeep.py; plus xmllint
// validation of a response payload against the reference schema.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as fontkit from '@cantoo/fontkit';
import { PDFDocument } from '@cantoo/pdf-lib';
import * as soap from 'soap';
import { REFERENCE_DIR, xmllintErrors } from './soap';

export const PKG_NS = 'https://id.signicat.com/definitions/wsdl/Packaging-v4';
export const REFERENCE_PACKAGING_WSDL = path.join(REFERENCE_DIR, 'packagingservice-v4.wsdl');
const PYTHON = '/usr/bin/python3';
const ZEEP_CLIENT = path.join(__dirname, '..', 'integration', 'packaging_zeep.py');

export interface PackageAnswer {
  id?: string;
  error?: { code: string; message: string };
}

/** create-package through node-soap: the parsed result, the raw response, or the fault node-soap raised. */
export type Call = (args: Record<string, unknown>) => Promise<{ result: PackageAnswer; raw: string } | { fault: string }>;

export async function nodeSoapClient(endpoint: string, auth: { service: string; password: string }): Promise<Call> {
  const c = await soap.createClientAsync(REFERENCE_PACKAGING_WSDL, { endpoint });
  const op = (c as unknown as Record<string, (a: unknown, cb: (e: any, r: any, raw: string) => void) => void>)['create-package']!;
  return (args) =>
    new Promise((resolve) => {
      op({ version: '4', ...auth, 'validation-policy': 'ltvsdo-validator', 'packaging-method': 'pades', ...args }, (e, r, raw) => {
        if (e) resolve({ fault: String(e.root?.Envelope?.Body?.Fault?.faultstring ?? e.message) });
        else resolve({ result: (r ?? {}) as PackageAnswer, raw });
      });
    });
}

/** Fails (never skips) when Debian's python3-zeep is missing. */
export function requireZeep(): void {
  try {
    execFileSync(PYTHON, ['-c', 'import zeep'], { stdio: 'pipe', timeout: 30_000 });
  } catch (e) {
    throw new Error(`${PYTHON} cannot import zeep (${(e as Error).message.split('\n')[0]}); apt-get install python3-zeep`);
  }
}

export type ZeepAnswer = { id: string | null; error: { code: string; message: string } | null } | { fault: string };

/** Each call's keyword arguments (zeep names the unbounded choice `_value_1`) through zeep, in order. */
export function zeepCalls(endpoint: string, calls: Array<Record<string, unknown>>): Promise<ZeepAnswer[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, [ZEEP_CLIENT, REFERENCE_PACKAGING_WSDL, endpoint], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`packaging_zeep.py failed (${err.message.split('\n')[0]}):\n${stderr}\n${stdout}`));
      try {
        resolve(JSON.parse(stdout) as ZeepAnswer[]);
      } catch (e) {
        reject(new Error(`packaging_zeep.py printed no JSON (${(e as Error).message}):\n${stdout}\n${stderr}`));
      }
    });
    child.stdin!.end(JSON.stringify(calls));
  });
}

let xsd: string | undefined;
/** xmllint's complaint about a create-package payload against the reference schema, or '' when valid. */
export function packagingSchemaErrors(payload: string): Promise<string> {
  if (!xsd) {
    const m = /<xs:schema[\s\S]*<\/xs:schema>/.exec(readFileSync(REFERENCE_PACKAGING_WSDL, 'utf8'));
    if (!m) throw new Error('no xs:schema in the reference packaging WSDL');
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'segl-pkg-xsd-')), 'packagingservice-v4.xsd');
    writeFileSync(file, m[0].replace('<xs:schema ', `<xs:schema xmlns:tns="${PKG_NS}" `));
    xsd = file;
  }
  return xmllintErrors(payload, xsd);
}

/** A template as a form designer makes one: a label, text fields named after package fields, seal.box. */
export async function makeTemplate(fields: string[], box = true): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  const font = await doc.embedFont(readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf')), { subset: true });
  const page = doc.addPage([595.28, 841.89]);
  page.drawText('Acme forside – Ærø', { x: 50, y: 800, size: 14, font });
  const form = doc.getForm();
  fields.forEach((name, i) => form.createTextField(name).addToPage(page, { x: 200, y: 752 - i * 24, width: 360, height: 18 }));
  if (box) form.createTextField('seal.box').addToPage(page, { x: 330, y: 60, width: 220, height: 80 });
  return doc.save();
}
