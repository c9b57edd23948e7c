// src/trust/xml/c14n.ts canonicalHash: the exclusive C14N octets fed to a hash piece by piece (what the verifier's
// reference digests use, so a large LTV-SDO's document text is not copied for them) must hash exactly as libxml2's
// `xmllint --exc-c14n` output does, and as canonicalise's one string does: text of several 64 KiB slices with
// characters outside the BMP (surrogate pairs) at every cut, escapes, and an element left out (enveloped signature).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalHash, canonicalise } from '../../src/trust/xml/c14n';
import { parseStrict, type SElement } from '../../src/trust/xml/strictxml';

jest.setTimeout(60_000);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segl-c14n-hash-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function xmllintC14n(xml: string, file: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile('xmllint', ['--exc-c14n', file], { encoding: 'buffer', maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`xmllint: ${stderr.toString()}`));
      else resolve(stdout);
    });
  });
}

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const hashed = (node: Parameters<typeof canonicalHash>[0], exclude?: Parameters<typeof canonicalHash>[1]) => {
  const h = createHash('sha256');
  canonicalHash(node, exclude, h);
  return h.digest('hex');
};

/** About 450 kB of text: U+1F600 (a surrogate pair) across every 64 KiB boundary, Danish letters, characters to escape. */
function bigText(): string {
  let s = '';
  while (s.length < 7 * 65536) {
    const room = 65536 - (s.length % 65536);
    s += 'x'.repeat(Math.max(0, room - 1)) + '\u{1F600}' + 'æøå & <> \r '.repeat(3);
  }
  return s;
}

test('canonicalHash hashes the octets xmllint --exc-c14n writes, and those canonicalise joins', async () => {
  const text = bigText();
  // every 64 KiB cut falls inside a surrogate pair at least once
  expect([1, 2, 3].some((k) => (text.charCodeAt(k * 65536) & 0xfc00) === 0xdc00)).toBe(true);
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?>\n<r:Root xmlns:r="urn:r" xmlns:u="urn:unused" Id="a"><r:Doc b="2" a="1">${escaped}</r:Doc>` +
    `<r:Small>${'å'.repeat(100)}</r:Small><Sig xmlns="urn:sig"><v>1</v></Sig></r:Root>`;
  const file = join(dir, 'big.xml');
  await writeFile(file, xml, 'utf8');
  const libxml2 = await xmllintC14n(xml, file);
  const doc = parseStrict(xml);
  expect(hashed(doc)).toBe(sha256(libxml2));
  expect(hashed(doc)).toBe(sha256(Buffer.from(canonicalise(doc), 'utf8')));
  // a subtree, and the document without an element (the enveloped-signature transform)
  const root = doc.documentElement!;
  const docEl = root.firstChild as SElement;
  let sig = root.firstChild;
  while (sig && sig.nodeName !== 'Sig') sig = sig.nextSibling;
  expect(sig).toBeTruthy();
  expect(hashed(docEl)).toBe(sha256(Buffer.from(canonicalise(docEl), 'utf8')));
  expect(hashed(doc, sig!)).toBe(sha256(Buffer.from(canonicalise(doc, sig!), 'utf8')));
  expect(hashed(doc, sig!)).not.toBe(hashed(doc));
  // small documents take the other path (pieces joined before hashing)
  const small = parseStrict('<a xmlns="urn:a"><b c="&quot;">é</b></a>');
  expect(hashed(small)).toBe(sha256(Buffer.from(canonicalise(small), 'utf8')));
});
