// xmlsec1 (an outside XMLDSig implementation) on a sealed LTV-SDO: every ds:Signature in it (the native
// signature and the seal) verified by its Id against the test root, with the given CA certificates as
// untrusted intermediates.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** xmlsec1's output per signature of `xml` (written to `dir`); `pems`: root first, then the intermediates. */
export async function xmlsecEachSignature(dir: string, xml: string, root: string, intermediates: string[]): Promise<string[]> {
  const file = path.join(dir, 'xmlsec-sdo.xml');
  writeFileSync(file, xml);
  writeFileSync(path.join(dir, 'xmlsec-root.pem'), root);
  const untrusted = intermediates.flatMap((pem, i) => {
    const f = path.join(dir, `xmlsec-ca-${i}.pem`);
    writeFileSync(f, pem);
    return ['--untrusted-pem', f];
  });
  const ids = [...xml.matchAll(/<ds:Signature[^>]*\sId="([^"]+)"/g)].map((m) => m[1]!);
  const outs: string[] = [];
  for (const id of ids) {
    const args = ['--verify', '--trusted-pem', path.join(dir, 'xmlsec-root.pem'), ...untrusted];
    args.push('--id-attr:Id', 'http://www.w3.org/2000/09/xmldsig#:Signature', '--node-id', id, file);
    const r = await exec('xmlsec1', args).catch((e: { stdout?: string; stderr?: string }) => e);
    outs.push(`${r.stdout ?? ''}${r.stderr ?? ''}`);
  }
  return outs;
}
