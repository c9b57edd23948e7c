// `segl verify FILE`: an LTV-SDO checked with nothing but what it carries and a trust anchor — the
// seal over the package, then the native signature inside it, each at the package's trusted
// signing time, with revocation answered by the OCSP responses embedded in the package.
import * as x509 from '@peculiar/x509';
import { parseXml } from '../soap/xml';
import type { XNode } from '../soap/xml';
import { checkOcspResponse } from '../trust/ocsp/response';
import { normalizeSerialHex } from '../trust/x509/serial';
import { verifyXmlSignature } from '../trust/validation/process';
import { type Indication, type VerificationReport } from '../trust/validation/report';
import type { RevocationSource } from '../trust/sources';

const DS = 'http://www.w3.org/2000/09/xmldsig#';

function all(n: XNode, local: string, out: XNode[] = []): XNode[] {
  for (const c of n.children) {
    if (c.local === local) out.push(c);
    all(c, local, out);
  }
  return out;
}

/** Answers revocation questions from the package's own OCSP responses (offline). */
function embedded(responses: Uint8Array[]): RevocationSource {
  return async (cert, issuer) => {
    const serialHex = normalizeSerialHex(cert.serialNumber);
    for (const der of responses) {
      try {
        const r = await checkOcspResponse(der, { issuer, serialHex });
        return { status: r.status, responseDer: der, source: 'embedded' };
      } catch {
        /* not this certificate's response */
      }
    }
    return { status: { status: 'unknown' }, source: 'embedded', detail: `no embedded OCSP response for serial ${serialHex}` };
  };
}

export interface OfflineResult {
  indication: Indication;
  seal: VerificationReport;
  native?: VerificationReport;
  at: Date;
}

const RANK: Record<Indication, number> = { 'TOTAL-PASSED': 0, INDETERMINATE: 1, 'TOTAL-FAILED': 2 };

export async function verifyLtvSdo(xml: string, anchors: x509.X509Certificate[]): Promise<OfflineResult> {
  const root = parseXml(xml, { maxDepth: 64, maxElements: 1_000_000, maxAttributes: 64 });
  const text = (n: XNode | undefined) => n?.text.replace(/\s+/g, '') ?? '';
  const certs = [...all(root, 'Certificate'), ...all(root, 'EncapsulatedX509Certificate')]
    .map((n) => {
      try {
        return new x509.X509Certificate(Buffer.from(text(n), 'base64'));
      } catch {
        return undefined;
      }
    })
    .filter((c): c is x509.X509Certificate => !!c);
  const ocsp = [...all(root, 'OcspResponse'), ...all(root, 'EncapsulatedOCSPValue')].map(
    (n) => new Uint8Array(Buffer.from(text(n), 'base64')),
  );
  const time = all(root, 'TrustedSigningTime')[0];
  const at = new Date(time?.children.find((c) => c.local === 'Time')?.text ?? Date.now());
  const opts = { anchors, intermediates: certs, revocation: embedded(ocsp), at };
  const seal = await verifyXmlSignature(xml, { ...opts, signatureXPath: '/*/ds:Signature' });
  const hasNative = root.children.some(
    (c) => c.local === 'SignedDataObject' && c.children.some((s) => s.uri === DS && s.local === 'Signature'),
  );
  const native = hasNative
    ? await verifyXmlSignature(xml, { ...opts, signatureXPath: "/*/*[local-name()='SignedDataObject']/ds:Signature" })
    : undefined;
  const worst = [seal, native]
    .filter((r): r is VerificationReport => !!r)
    .reduce<Indication>((w, r) => (RANK[r.indication] > RANK[w] ? r.indication : w), 'TOTAL-PASSED');
  return { indication: hasNative ? worst : 'TOTAL-FAILED', seal, native, at };
}

export function describe(r: OfflineResult): string {
  const line = (name: string, v?: VerificationReport) =>
    v
      ? `${name}: ${v.indication}${v.subIndication ? ` ${v.subIndication}` : ''} — ${v.message}`
      : `${name}: missing (the package holds no native signature)`;
  return (
    [
      `${r.indication} (validated at the package's trusted signing time ${r.at.toISOString()})`,
      line('seal', r.seal),
      line('native signature', r.native),
    ].join('\n') + '\n'
  );
}
