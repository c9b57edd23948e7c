// Time-stamping (RFC 3161, with RFC 5816's ESS signing-certificate-v2): segl's TSA, its client-side
// request builder and the token reader/verifier. Checked against `openssl ts` (stack-notes §Q5).
//
// Decisions:
// - genTime is written in whole seconds (truncated). NSS already refuses fractional seconds in
//   OCSP times, a PAdES timestamp is read by the same kinds of validators, and the declared
//   accuracy (default 1 s) covers the at most 999 ms lost by truncating.
// - Message imprints must be SHA-256, SHA-384 or SHA-512. SHA-1 is rejected (badAlg) like MD5:
//   SHA-1 collisions are practical (SHAttered 2017, chosen-prefix 2020), so a SHA-1 token could be
//   replayed onto a second document; segl has no legacy clients that need it.
// - Default serials are 126 random bits: unique across restarts and replicas without shared state.
import { digestBytes } from '../crypto';
import type { SigningIdentity } from '../sources';
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import { unsignedInteger } from '../asn1/der';
import { normalizeSerialHex } from '../x509/serial';

export interface TsaOptions {
  tsa: SigningIdentity;
  policyOid: string;
  now?: () => Date;
  /** Serial source (bigint, or hex string); must be positive and unique. Default: 126 random bits. */
  serial?: () => bigint | string;
  /** Accuracy.seconds in TSTInfo; default 1, 0 leaves accuracy out. */
  accuracySeconds?: number;
}

/** PKIStatus, RFC 3161 §2.4.2. */
export const PkiStatus = {
  granted: 0,
  grantedWithMods: 1,
  rejection: 2,
  waiting: 3,
  revocationWarning: 4,
  revocationNotification: 5,
} as const;

/** PKIFailureInfo bit numbers, RFC 3161 §2.4.2. */
export const FAILURE_BITS = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
} as const;
export type TsaFailure = keyof typeof FAILURE_BITS;

export interface TimestampResponseInfo {
  status: number;
  statusText: string[];
  failInfo: TsaFailure[];
  /** DER TimeStampToken (a ContentInfo), when granted. */
  token?: Uint8Array;
}

export interface TimestampTokenInfo {
  genTime: Date;
  /** Normalised hex, as normalizeSerialHex writes it. */
  serial: string;
  messageImprint: { hashAlgorithm: string; hashedMessage: Uint8Array };
  nonce?: bigint;
  policy: string;
  /** Certificates carried in the SignedData (none unless the request set certReq). */
  certificates: x509.X509Certificate[];
}

export const OID = {
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  kpTimeStamping: '1.3.6.1.5.5.7.3.8',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

export type HashName = 'SHA-256' | 'SHA-384' | 'SHA-512';
/** Hashes accepted for imprints and CMS digests, with their output lengths. */
export const HASHES: Record<string, { name: HashName; length: number }> = {
  '2.16.840.1.101.3.4.2.1': { name: 'SHA-256', length: 32 },
  '2.16.840.1.101.3.4.2.2': { name: 'SHA-384', length: 48 },
  '2.16.840.1.101.3.4.2.3': { name: 'SHA-512', length: 64 },
};

export function digest(alg: HashName | 'SHA-1', data: Uint8Array): Promise<Uint8Array> {
  return digestBytes(alg, data);
}

/** A positive DER INTEGER from hex (a 00 octet is prepended when the top bit is set). */
export function positiveIntegerDer(hexValue: string): Uint8Array {
  const bytes = Buffer.from(normalizeSerialHex(hexValue), 'hex');
  if (bytes.every((b) => b === 0)) throw new RangeError('serial and nonce must be positive');
  return unsignedInteger(bytes);
}

export function bigintHex(v: bigint): string {
  if (v < 0n) throw new RangeError('must not be negative');
  return v.toString(16);
}

export function integerHex(i: asn1js.Integer): string {
  return normalizeSerialHex(Buffer.from(i.valueBlock.valueHexView).toString('hex'));
}
