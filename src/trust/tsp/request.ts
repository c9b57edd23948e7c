// The client's time-stamp request (RFC 3161 §2.4.1): creation only.
import { TAG, tlv } from '../asn1/der';
import { bigintHex, positiveIntegerDer } from './common';
import { SHA256_ALG } from '../cms/signeddata';
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
