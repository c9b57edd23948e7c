// Reading a PAdES by hand for tests (not with the code under test): each signature's ByteRange, its
// /Contents (padded) and the DER inside; the bytes a ByteRange covers; and the outside tools run on it
// (openssl, pdfsig with an NSS database that trusts a given root).
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readTlv } from '../../src/trust/asn1/der';

export interface Run {
  code: number;
  out: string;
}

export function run(cmd: string, args: string[], cwd?: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}\n${stderr}` });
    });
  });
}

/** One signature as read by hand: ByteRange, the /Contents bytes (padded), the DER inside, and its kind. */
export interface RawSig {
  range: number[];
  contents: Buffer;
  der: Buffer;
  docTimestamp: boolean;
}

export function rawSignatures(pdf: Uint8Array): RawSig[] {
  const text = Buffer.from(pdf).toString('latin1');
  const out: RawSig[] = [];
  for (const m of text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)) {
    const range = m.slice(1, 5).map(Number);
    const contents = Buffer.from(text.slice(range[1]! + 1, range[2]! - 1), 'hex');
    const obj = text.slice(text.lastIndexOf(' obj', m.index), text.indexOf('endobj', m.index));
    out.push({ range, contents, der: contents.subarray(0, readTlv(contents, 0).end), docTimestamp: obj.includes('/ETSI.RFC3161') });
  }
  return out;
}

/** The bytes a ByteRange covers. */
export const covered = (pdf: Uint8Array, r: number[]): Buffer =>
  Buffer.concat([Buffer.from(pdf.subarray(r[0], r[0]! + r[1]!)), Buffer.from(pdf.subarray(r[2], r[2]! + r[3]!))]);

/** An NSS database in `dir`/nss trusting `rootPem` for pdfsig; returns the pdfsig runner. */
export async function pdfsigTrusting(dir: string, rootPem: string): Promise<(file: string) => Promise<Run>> {
  const nss = join(dir, 'nss');
  await mkdir(nss, { recursive: true });
  await writeFile(join(dir, 'nss-root.pem'), rootPem);
  for (const args of [
    ['-N', '-d', `sql:${nss}`, '--empty-password'],
    ['-A', '-d', `sql:${nss}`, '-n', 'segl-test-root', '-t', 'CT,C,C', '-i', join(dir, 'nss-root.pem')],
  ]) {
    const r = await run('certutil', args, dir);
    if (r.code !== 0) throw new Error(`certutil ${args[0]}: ${r.out}`);
  }
  return (file) => run('pdfsig', ['-nssdir', `sql:${nss}`, file], dir);
}

/** `openssl cms -verify` of a detached CMS file over a data file (both in `dir`), to `root.pem` in `dir`. */
export const cmsVerify = (dir: string, sigFile: string, dataFile: string): Promise<Run> =>
  run(
    'openssl',
    [
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      sigFile,
      '-content',
      dataFile,
      '-CAfile',
      'root.pem',
      '-purpose',
      'any',
      '-out',
      '/dev/null',
    ],
    dir,
  );
