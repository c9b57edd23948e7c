// The client's side of time-stamping (RFC 3161 §2.4.1): the request, and a token asked of a TimestampSource.
import { TAG, tlv } from '../asn1/der';
import { bigintHex, OID, positiveIntegerDer } from './common';
import { SHA256_ALG } from '../cms/signeddata';
import type { TimestampSource } from '../sources';
import { readTimestampResponse, readTimestampTime } from './token';
import { equalBytes } from '../../util/bytes';
// ---------------------------------------------------------------------------------------------
// Client side

/**
 * RFC 3161 §2.4.1 TimeStampReq for a SHA-256 hash. certReq defaults to true (unlike the RFC's
 * DEFAULT FALSE) because segl embeds tokens in documents whose validators need the TSA certificate.
 */
export function requestTimestamp(hash: Uint8Array, opts: { hashAlgorithm: 'SHA-256'; nonce?: bigint; certReq?: boolean }): Uint8Array {
  if (opts.hashAlgorithm !== 'SHA-256' || hash.byteLength !== 32) throw new RangeError('expected a 32-octet SHA-256 hash');
  return tlv(
    TAG.sequence,
    tlv(TAG.integer, Uint8Array.of(1)),
    tlv(TAG.sequence, SHA256_ALG, tlv(TAG.octetString, hash)),
    ...(opts.nonce !== undefined ? [positiveIntegerDer(bigintHex(opts.nonce))] : []),
    ...((opts.certReq ?? true) ? [tlv(TAG.boolean, Uint8Array.of(0xff))] : []),
  );
}

/**
 * A time-stamp token over a SHA-256 `imprint`, asked of `source` (RFC 3161 §2.4.1, certReq set), and
 * checked to answer for that imprint (§2.4.2: the TSTInfo's messageImprint). Throws when the TSA
 * refuses or answers for something else. The token's signature is the verifier's to check.
 */
export async function timestampFor(imprint: Uint8Array, source: TimestampSource): Promise<{ token: Uint8Array; genTime: Date }> {
  const response = readTimestampResponse(await source(requestTimestamp(imprint, { hashAlgorithm: 'SHA-256', certReq: true })));
  if (!response.token) throw new Error(`the TSA refused: ${response.statusText.join('; ') || response.status}`);
  const answered = readTimestampTime(response.token);
  if (answered.hashAlgorithm !== OID.sha256 || !equalBytes(answered.hashedMessage, imprint))
    throw new Error('the TSA answered for another message imprint');
  return { token: response.token, genTime: answered.genTime };
}
