// A document time-stamp (ETSI EN 319 142-1 §5.4.3; ISO 32000-2 §12.8.5, Table 263): a signature dictionary with
// /Type /DocTimeStamp, /Filter /Adobe.PPKLite and /SubFilter /ETSI.RFC3161 whose /Contents is an RFC 3161
// TimeStampToken (RFC 3161 §2.4.2) over the SHA-256 of the ByteRange bytes, in an invisible signature field, added
// as an incremental update. Over a DSS it makes B-LTA (EN 319 142-1 §6.3: the time-stamp covers the LT data).
// /M, /Name and the other signer entries are left out: the time and the signer are the token's (Table 263 does not
// list them). Not implemented: other imprint hashes than SHA-256.
import type { TimestampSource } from '../sources';
import { timestampFor } from '../tsp/request';
import { addSignatureField, IncrementalPdf, untracked } from './field';
import { setPlaceholders, TOKEN_RESERVE, type FilledSignature } from './placeholder';

export interface DocumentTimestampOptions {
  /** the new field's name; default the first free `DocTimeStampN` */
  fieldName?: string;
  /** bytes to reserve for the token; default 10 KiB */
  contentsSize?: number;
}

/**
 * Adds a document time-stamp from `timestamps` to `pdf` and returns the whole file. Throws when the TSA refuses or
 * answers for another imprint (tsp/request.ts), and PlaceholderTooSmallError when the token does not fit.
 */
export async function addDocumentTimestamp(
  pdf: Uint8Array,
  timestamps: TimestampSource,
  o: DocumentTimestampOptions = {},
): Promise<Uint8Array> {
  const file = await IncrementalPdf.open(pdf);
  await addDocumentTimestampIncrement(file, timestamps, o);
  return file.bytes;
}

/** addDocumentTimestamp on a file already open for updates (pades.ts); returns the token, /Contents and the field's name. */
export async function addDocumentTimestampIncrement(
  file: IncrementalPdf,
  timestamps: TimestampSource,
  o: DocumentTimestampOptions = {},
): Promise<FilledSignature & { fieldName: string }> {
  const { doc } = file;
  const ref = await untracked(doc, () => {
    const dict = doc.context.obj({ Type: 'DocTimeStamp', Filter: 'Adobe.PPKLite', SubFilter: 'ETSI.RFC3161' });
    setPlaceholders(dict, o.contentsSize ?? TOKEN_RESERVE + 2048);
    return doc.context.register(dict);
  });
  const fieldName = await addSignatureField(doc, ref, { name: o.fieldName, prefix: 'DocTimeStamp' });
  await file.commit();
  return { ...(await file.fill(async (imprint) => (await timestampFor(imprint, timestamps)).token)), fieldName };
}
