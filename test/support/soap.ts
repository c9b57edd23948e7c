// Raw SOAP helpers for tests: envelopes, posting, and validating payloads against the schema of
// Signicat's reference WSDL with xmllint (the outside oracle). The reference WSDLs are fixtures
// inside the repository (test/fixtures/reference/signicat/, provenance in its README.md): a plain
// clone runs the suite with nothing beside it (test/integration/self-contained.test.ts checks that).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const NS = 'https://id.signicat.com/definitions/wsdl/Document-v3';
export const REPO = path.resolve(__dirname, '..', '..');
export const REFERENCE_DIR = path.join(REPO, 'test', 'fixtures', 'reference', 'signicat');
export const REFERENCE_WSDL = path.join(REFERENCE_DIR, 'documentservice-v3.wsdl');

const run = promisify(execFile);

/** A SOAP 1.1 envelope around `inner`, which uses the default namespace (as WCF and PHP clients do). */
export function envelope(inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><s:Body>${inner}</s:Body></s:Envelope>`;
}

export async function post(
  endpoint: string,
  xml: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', ...headers }, body: xml });
  return { status: res.status, text: await res.text() };
}

/** The element inside soap:Body of a response, or null for an empty Body. */
export function bodyPayload(xml: string): string | null {
  if (/<soap:Body\s*\/>/.test(xml)) return null;
  const m = /<soap:Body>([\s\S]*)<\/soap:Body>/.exec(xml);
  if (!m) throw new Error(`no soap:Body in ${xml.slice(0, 200)}`);
  return m[1]!;
}

export function faultString(xml: string): string | null {
  const m = /<faultstring>([\s\S]*?)<\/faultstring>/.exec(xml);
  return m
    ? m[1]!
        .replace(/&quot;/g, '"')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&')
    : null;
}

let xsd: string | undefined;
/** The reference WSDL's inline schema as a standalone XSD file (tns declared on it). */
export function referenceXsd(): string {
  if (xsd) return xsd;
  const wsdl = readFileSync(REFERENCE_WSDL, 'utf8');
  const m = /<xs:schema[\s\S]*<\/xs:schema>/.exec(wsdl);
  if (!m) throw new Error('no xs:schema in the reference WSDL');
  const schema = m[0].replace('<xs:schema ', `<xs:schema xmlns:tns="${NS}" `);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-xsd-'));
  xsd = path.join(dir, 'documentservice-v3.xsd');
  writeFileSync(xsd, schema);
  return xsd;
}

/** Validates one payload with `xmllint --schema`; resolves to xmllint's complaint, or '' when valid. */
export async function xmllintErrors(payload: string, schemaFile = referenceXsd()): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-payload-'));
  const file = path.join(dir, 'payload.xml');
  writeFileSync(file, payload);
  try {
    await run('xmllint', ['--noout', '--schema', schemaFile, file]);
    return '';
  } catch (e) {
    const err = e as { stderr?: string; code?: number | string };
    if (err.code === 'ENOENT') throw new Error('xmllint is missing: apt-get install libxml2-utils');
    return err.stderr ?? String(e);
  }
}

/** createRequest with the `<request>` body given as XML; the request id, or an error with the answer. */
export async function createRequestXml(endpoint: string, service: string, password: string, requestBody: string): Promise<string> {
  const r = await post(
    endpoint,
    envelope(
      `<create-request-request xmlns="${NS}"><service>${service}</service><password>${password}</password><request>${requestBody}</request></create-request-request>`,
    ),
  );
  const m = /<request-id>([^<]+)</.exec(r.text);
  if (!m) throw new Error(`createRequest failed: ${r.text}`);
  return m[1]!;
}
