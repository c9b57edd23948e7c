// Revocation by OCSP (RFC 6960) for the validation process: the request for one certificate, the answer checked
// (signature, authorised responder, nonce, freshness). The transport is given by the caller: no I/O here.
import { crypto } from '../crypto';
import * as x509 from '@peculiar/x509';
import { oid, TAG, tlv } from '../asn1/der';
import { certIdFor } from '../ocsp/certid';
import { checkOcspResponse } from '../ocsp/response';
import { normalizeSerialHex } from '../x509/serial';
import type { RevocationAnswer, RevocationSource } from '../sources';
import { errorText } from './xmldsig';
/** id-pkix-ocsp-nonce (RFC 6960 §4.4.1). */
const OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';
// OCSP revocation checker (RFC 6960)

export interface OcspCheckerOptions {
  /**
   * POSTs a DER OCSPRequest to `url` and returns the DER body. The transport is the product's (src/signing/online.ts
   * over HTTP, or the test CA in process): trust/ does no I/O.
   */
  fetch: (url: string, der: Uint8Array) => Promise<Uint8Array>;
  /** Locally trusted OCSP responder certificates (RFC 6960 §4.2.2.2 case 1). */
  responderTrust?: x509.X509Certificate[];
  /** Clock for the freshness check; default now. */
  now?: () => Date;
  /** Tolerated clock skew for thisUpdate/nextUpdate, minutes; default 5. */
  skewMinutes?: number;
  /** Maximum age of a response without nextUpdate, minutes; default 60 * 24. */
  maxAgeMinutes?: number;
}

/** The first http(s) OCSP URL in the certificate's AuthorityInfoAccess (RFC 5280 §4.2.2.1). */
export function ocspUrlOf(cert: x509.X509Certificate): string | undefined {
  const aia = cert.getExtension(x509.AuthorityInfoAccessExtension);
  return aia?.ocsp.map((g) => String(g.value)).find((u) => /^https?:\/\//i.test(u));
}

/**
 * RFC 6960 §4.1: an OCSPRequest for one certificate (CertID with SHA-1) carrying a nonce (§4.4.1),
 * written directly in DER (der.ts): SEQUENCE { TBSRequest { requestList { Request { CertID } },
 * [2] requestExtensions { nonce } } }.
 */
export async function buildOcspRequest(
  cert: x509.X509Certificate,
  issuer: x509.X509Certificate,
): Promise<{ der: Uint8Array; nonce: Uint8Array }> {
  const nonce = crypto.getRandomValues(new Uint8Array(16));
  const nonceExtension = tlv(TAG.sequence, oid(OCSP_NONCE), tlv(TAG.octetString, tlv(TAG.octetString, nonce)));
  const tbsRequest = tlv(
    TAG.sequence,
    tlv(TAG.sequence, tlv(TAG.sequence, await certIdFor(cert, issuer))),
    tlv(0xa2, tlv(TAG.sequence, nonceExtension)),
  );
  return { der: tlv(TAG.sequence, tbsRequest), nonce };
}

/**
 * A RevocationSource that asks the OCSP responder named in each certificate's AIA: builds the
 * request, hands it to the given transport, checks the answer with checkOcspResponse (signature, authorised responder, nonce,
 * the certificate's entry) and its freshness. Anything that goes wrong (no URL, network error,
 * unverifiable or stale response) is an `unknown` status with the reason in `detail`, which the
 * verifier reports as INDETERMINATE TRY_LATER.
 */
export function ocspRevocationSource(o: OcspCheckerOptions): RevocationSource {
  const post = o.fetch;
  const skewMs = (o.skewMinutes ?? 5) * 60_000;
  const maxAgeMs = (o.maxAgeMinutes ?? 60 * 24) * 60_000;
  return async (cert, issuer) => {
    const unknown = (detail: string, responseDer?: Uint8Array): RevocationAnswer => ({
      status: { status: 'unknown' },
      source: 'ocsp',
      detail,
      ...(responseDer ? { responseDer } : {}),
    });
    const url = ocspUrlOf(cert);
    if (!url) return unknown('the certificate names no http OCSP responder in AuthorityInfoAccess');
    let request: { der: Uint8Array; nonce: Uint8Array };
    try {
      request = await buildOcspRequest(cert, issuer);
    } catch (e) {
      return unknown(`could not build the OCSP request: ${errorText(e)}`);
    }
    let responseDer: Uint8Array;
    try {
      responseDer = await post(url, request.der);
    } catch (e) {
      const cause = (e as { cause?: { code?: string } })?.cause?.code;
      return unknown(`OCSP responder ${url} unreachable: ${errorText(e)}${cause ? ` (${cause})` : ''}`);
    }
    try {
      const r = await checkOcspResponse(responseDer, {
        issuer,
        serialHex: normalizeSerialHex(cert.serialNumber),
        nonce: request.nonce,
        ...(o.responderTrust ? { responderTrust: o.responderTrust } : {}),
      });
      const now = (o.now ?? (() => new Date()))().getTime();
      if (r.thisUpdate.getTime() > now + skewMs) return unknown(`OCSP response thisUpdate ${r.thisUpdate.toISOString()} is in the future`);
      if (r.nextUpdate ? r.nextUpdate.getTime() < now - skewMs : r.thisUpdate.getTime() < now - maxAgeMs) {
        return unknown(
          `OCSP response is stale (thisUpdate ${r.thisUpdate.toISOString()}${r.nextUpdate ? `, nextUpdate ${r.nextUpdate.toISOString()}` : ''})`,
        );
      }
      return {
        status: r.status,
        responseDer,
        source: 'ocsp',
        detail: `OCSP response from ${r.responder.subject} produced ${r.producedAt.toISOString()}`,
      };
    } catch (e) {
      return unknown(`OCSP response from ${url} rejected: ${errorText(e)}`);
    }
  };
}
