// Content checks for uploads (SDS and the portal), by media type; the checks live in pdf.ts and text.ts.
// The bytes are already on disk (a temp file of up to 100 MB) when these run; nothing here holds a whole upload
// in memory. Each check answers with a ContentProblem (problem.ts) the HTTP adapter turns into a 4xx with a
// user-readable message, or null when the content is acceptable.
import { isSupported, parseMediaType, SUPPORTED_TYPES, type MediaType } from '../core/mediatype';
import { checkPdfFile } from './pdf';
import { problem, type ContentProblem } from './problem';
import { checkTextFile, checkXmlFile } from './text';

// ---------------------------------------------------------------------------------------------
// Media types
// ---------------------------------------------------------------------------------------------

// The media-type grammar and the list of stored types live in core (provided-documents use them too).
export { isSupported, parseMediaType, SUPPORTED_TYPES, type MediaType };

const PDF_TYPES = new Set(['application/pdf', 'application/x-pades']);
const XML_TYPES = new Set(['application/xml', 'text/xml', 'application/x-ltv-sdo']);

/**
 * Runs the check that fits the declared media type on a file already on disk: PDF structure for
 * PDF/PAdES, charset validity for text/plain, the XML prolog check (plus charset validity when a
 * charset parameter was given, RFC 7303 §3) for the XML types. An unsupported type answers
 * 'unsupported-type'.
 */
export async function checkContent(path: string, media: MediaType): Promise<ContentProblem | null> {
  if (PDF_TYPES.has(media.type)) return checkPdfFile(path);
  if (media.type === 'text/plain') return checkTextFile(path, media.charset);
  if (XML_TYPES.has(media.type)) {
    const p = await checkXmlFile(path);
    if (p || media.charset === undefined) return p;
    return checkTextFile(path, media.charset);
  }
  return problem('unsupported-type', `Documents of type ${media.type} cannot be stored. Supported types: ${SUPPORTED_TYPES.join(', ')}.`);
}
