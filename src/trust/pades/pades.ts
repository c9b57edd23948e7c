// A PAdES baseline signature at a chosen level (ETSI EN 319 142-1 §6: B-B, B-T, B-LT, B-LTA), the steps composed:
//   B-B    sign.ts: signature dictionary + CMS (signing-certificate-v2, no signing-time), /M the claimed time;
//   B-T    the same CMS with a signature time-stamp (§6.3: id-aa-signatureTimeStampToken);
//   B-LT   then a DSS (dss.ts) with the validation data of the signer's chain AND of the signature time-stamp's TSA
//          chain (validationdata.ts), with a VRI entry for the signature;
//   B-LTA  then a document time-stamp (doctimestamp.ts) over all of it (§6.3: covers the LT data).
// Each step is its own incremental update (ISO 32000-1 §7.5.6), so the signature stays valid and covers everything
// but the later DSS and document time-stamp ("not total document signed" is expected, reference §6.3). The input is
// parsed once (field.ts IncrementalPdf) and every update is appended to the same document.
// One TimestampSource makes both time-stamps, so the document time-stamp's TSA data is normally the signature
// time-stamp's, already in the DSS (not checked). Later renewal (another DSS + document time-stamp before the last
// one ages) is renew.ts.
import type * as x509 from '@peculiar/x509';
import type { RevocationSource, TimestampSource } from '../sources';
import { addDocumentTimestampIncrement } from './doctimestamp';
import { addDssIncrement } from './dss';
import { IncrementalPdf } from './field';
import { signIncrement, type SignPdfOptions } from './sign';
import { collectValidationData } from './validationdata';

export type PadesLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';

export interface PadesOptions extends Omit<SignPdfOptions, 'timestamps'> {
  level: PadesLevel;
  /** required from B-T: the signature time-stamp's, and for B-LTA the document time-stamp's, source */
  timestamps?: TimestampSource;
  /** required from B-LT: evidence of the status of each certificate on the signer's and the TSA's paths */
  revocation?: RevocationSource;
  /** from B-LT: certificates to build those paths from (issuing CAs and roots of both chains); default `chain` */
  certificatePool?: x509.X509Certificate[];
  /** the document time-stamp's field name (B-LTA); default `DocTimeStampN` */
  documentTimestampField?: string;
  /**
   * the bytes after `pdf` in its ArrayBuffer are free: the updates are written there when they fit, and the result
   * is a view of that buffer rather than a copy of the file (field.ts IncrementalPdf.open); `pdf` itself is unchanged
   */
  appendInPlace?: boolean;
}

const RANK: Record<PadesLevel, number> = { 'B-B': 0, 'B-T': 1, 'B-LT': 2, 'B-LTA': 3 };

/** Seals `pdf` as a PAdES baseline signature of level `o.level` and returns the whole file. */
export async function createPades(pdf: Uint8Array, o: PadesOptions): Promise<Uint8Array> {
  const rank = RANK[o.level];
  if (rank === undefined) throw new RangeError(`unknown PAdES level ${String(o.level)}`);
  const { level: _level, timestamps, revocation, certificatePool, documentTimestampField, appendInPlace, ...signOptions } = o;
  if (rank >= RANK['B-T'] && !timestamps) throw new RangeError(`${o.level} needs a TimestampSource (EN 319 142-1 §6.3, B-T)`);
  if (rank >= RANK['B-LT'] && !revocation) throw new RangeError(`${o.level} needs a RevocationSource (EN 319 142-1 §6.3, B-LT)`);
  const file = await IncrementalPdf.open(pdf, { appendInPlace });
  const sig = await signIncrement(file, { ...signOptions, ...(rank >= RANK['B-T'] ? { timestamps } : {}) });
  if (rank < RANK['B-LT']) return file.bytes;
  const data = await collectValidationData(sig.der, { certificatePool: certificatePool ?? o.chain, revocation: revocation! });
  await addDssIncrement(file, [{ contents: sig.contents, data }]);
  if (rank < RANK['B-LTA']) return file.bytes;
  await addDocumentTimestampIncrement(file, timestamps!, { fieldName: documentTimestampField });
  return file.bytes;
}
