// The PDF a PAdES package seals (reference/packagingservice-v4.md §3, "proposed segl PAdES"): a cover
// (built in, or a service's template), the original documents (PDF pages copied as they are, text laid
// out in DejaVu Sans), each distinct sign text, and as embedded files (/EmbeddedFiles, /AF with
// /AFRelationship, PDF/A-3 §6.8) the evidence and a machine-readable package.json. The result is
// unsigned and written without object streams, so the seal can follow as incremental updates.
// Deterministic: the same content gives the same bytes (fixed /ID, dates, producer, font tags).
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { deflate, deflateSync } from 'node:zlib';
import { AFRelationship, EncryptedPDFError, PDFDocument, PDFHexString, PDFWriter, type PDFContext } from '@cantoo/pdf-lib';
import '../trust/pades/sharedbytes';
import { boundedDecode, CompressionBombError } from '../content/decodebudget';
import { parseMediaType } from '../core/mediatype';
import { SEGL_VERSION } from '../version';
import { embedDrawings, insertCover } from './cover';
import { embedFonts, type Fonts } from './fonts';
import { addLink } from './layout';
import { fillTemplate, loadTemplate, templateValues, type FilledTemplate } from './template';
import { addTextPages, decodeText } from './text';
import { PACKAGE_LANGUAGES, textsFor, type PackageTexts } from './texts';
import {
  PackageInputError,
  UnreadableOriginalError,
  type AfRelationship,
  type ComposedPackage,
  type PackageContent,
  type PackageDocument,
  type PackageSection,
} from './types';
import { packageValues } from './values';

const MANIFEST_NAME = 'package.json';
const AF: Record<AfRelationship, AFRelationship> = {
  Source: AFRelationship.Source,
  Data: AFRelationship.Data,
  Alternative: AFRelationship.Alternative,
  Supplement: AFRelationship.Supplement,
  Unspecified: AFRelationship.Unspecified,
};
// RFC 9110 media type without parameters or with simple ones: what an embedded file's /Subtype names.
const MIME = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;.*)?$/;

const deflateAsync = promisify(deflate);

const bad = (message: string): never => {
  throw new PackageInputError(message);
};

/** Checks what the PDF cannot show honestly; returns each document's SHA-256 (hex) by id. */
function validate(c: PackageContent): Map<string, string> {
  if (!c.packageId?.trim()) bad('packageId is empty');
  if (!c.serviceName?.trim()) bad('serviceName is empty');
  if (!(c.createdAt instanceof Date) || Number.isNaN(c.createdAt.getTime())) bad('createdAt is not a valid Date');
  if (!PACKAGE_LANGUAGES.includes(c.language)) bad(`language must be one of ${PACKAGE_LANGUAGES.join(', ')}`);
  if (c.verificationUrl !== undefined && !/^https?:\/\/[\x21-\x7e]+$/.test(c.verificationUrl))
    bad('verificationUrl must be an http(s) URL of printable ASCII');
  if (!c.documents.length) bad('a package needs at least one document');
  const sha = new Map<string, string>();
  for (const d of c.documents) {
    if (!d.id || sha.has(d.id)) bad(`document id ${JSON.stringify(d.id)} is empty or appears twice`);
    if (!(d.bytes instanceof Uint8Array)) bad(`document ${JSON.stringify(d.id)}: bytes must be a Uint8Array`);
    const hex = createHash('sha256').update(d.bytes).digest('hex');
    if (d.sha256 !== undefined && d.sha256.toLowerCase() !== hex)
      bad(`document ${JSON.stringify(d.id)}: its bytes do not match its sha256`);
    sha.set(d.id, hex);
  }
  for (const s of c.signers) {
    if (!s.name?.trim()) bad('a signer has no name');
    if (!(s.signedAt instanceof Date) || Number.isNaN(s.signedAt.getTime())) bad(`signer ${s.name}: signedAt is not a valid Date`);
    const unknown = s.documentIds.filter((id) => !sha.has(id));
    if (unknown.length) bad(`signer ${s.name}: unknown document(s) ${unknown.join(', ')}`);
  }
  const names = new Set([MANIFEST_NAME]);
  for (const a of c.attachments) {
    if (!a.name || names.has(a.name)) bad(`attachment name ${JSON.stringify(a.name)} is empty, reserved or appears twice`);
    names.add(a.name);
    if (!MIME.test(a.mimeType)) bad(`attachment ${a.name}: bad media type ${JSON.stringify(a.mimeType)}`);
    if (a.afRelationship !== undefined && !AF[a.afRelationship]) bad(`attachment ${a.name}: bad AFRelationship ${a.afRelationship}`);
  }
  return sha;
}

type Kind = 'pdf' | 'text' | 'other';

function kindOf(mimeType: string): Kind {
  const type = parseMediaType(mimeType)?.type ?? '';
  if (type === 'application/pdf' || type === 'application/x-pades') return 'pdf';
  if (type.startsWith('text/') || type === 'application/xml' || type.endsWith('+xml')) return 'text';
  return 'other';
}

/** A PDF original as pdf-lib reads it; UnreadableOriginalError names the document. */
async function loadOriginal(d: PackageDocument): Promise<PDFDocument> {
  let src: PDFDocument;
  try {
    src = await PDFDocument.load(d.bytes, { updateMetadata: false });
  } catch (e) {
    if (e instanceof EncryptedPDFError)
      throw new UnreadableOriginalError(d.id, 'encrypted', 'PDF encryption (ISO 32000-1 §7.6) is not packaged');
    throw new UnreadableOriginalError(d.id, 'unreadable', e instanceof Error ? e.message : String(e));
  }
  if (src.getPageCount() === 0) throw new UnreadableOriginalError(d.id, 'unreadable', 'it has no pages');
  return src;
}

/** The original's pages copied into `doc`, read within the decode bound of its size (a compression bomb is refused). */
async function copyOriginal(doc: PDFDocument, d: PackageDocument): Promise<number> {
  const copy = async (): Promise<number> => {
    const src = await loadOriginal(d);
    try {
      const pages = await doc.copyPages(src, src.getPageIndices());
      for (const p of pages) doc.addPage(p);
      return pages.length;
    } catch (e) {
      throw new UnreadableOriginalError(d.id, 'unreadable', e instanceof Error ? e.message : String(e));
    }
  };
  try {
    return await boundedDecode(d.bytes.byteLength, copy);
  } catch (e) {
    if (e instanceof CompressionBombError) throw new UnreadableOriginalError(d.id, 'unreadable', e.message);
    throw e;
  }
}

/** The originals, then each distinct sign text; page indexes counted from the first of them. */
async function addBody(
  doc: PDFDocument,
  fonts: Fonts,
  c: PackageContent,
  t: PackageTexts,
  sha: Map<string, string>,
): Promise<PackageSection[]> {
  const sections: PackageSection[] = [];
  let next = 0;
  const push = (kind: PackageSection['kind'], count: number, documentId?: string): void => {
    sections.push({ kind, documentId, firstPageIndex: next, pageCount: count });
    next += count;
  };
  for (const d of c.documents) {
    const kind = kindOf(d.mimeType);
    if (kind === 'pdf') {
      push('document', await copyOriginal(doc, d), d.id);
      continue;
    }
    const section = {
      heading: `${t.document}: ${d.description?.trim() || d.id}`,
      detail: `${d.id} · ${d.mimeType} · SHA-256 ${sha.get(d.id)}`,
      body: kind === 'text' ? decodeText(d.bytes, d.mimeType) : t.notShown,
      continued: t.continued,
    };
    push('document', addTextPages(doc, fonts, section), d.id);
  }
  const texts = new Map<string, string[]>();
  for (const s of c.signers) {
    if (s.signText?.trim()) texts.set(s.signText, [...(texts.get(s.signText) ?? []), s.name]);
  }
  for (const [body, names] of texts) {
    push(
      'sign-text',
      addTextPages(doc, fonts, { heading: t.signText, detail: `${t.approvedBy}: ${names.join(', ')}`, body, continued: t.continued }),
    );
  }
  return sections;
}

const shifted = (body: PackageSection[], cover: number): PackageSection[] => [
  { kind: 'cover', firstPageIndex: 0, pageCount: cover },
  ...body.map((s) => ({ ...s, firstPageIndex: s.firstPageIndex + cover })),
];

/** The cover: the template filled, or the built-in one. Returns the seal box and the sections. */
async function addCover(
  doc: PDFDocument,
  fonts: Fonts,
  c: PackageContent,
  t: PackageTexts,
  body: PackageSection[],
  sha: Map<string, string>,
): Promise<Pick<ComposedPackage, 'sealAppearance' | 'sections'>> {
  const template = c.options?.template;
  if (!template) {
    const drawings = await embedDrawings(doc, c.signers);
    const cover = insertCover(doc, fonts, t, (k) => packageValues(c, shifted(body, k), sha), drawings);
    return { sealAppearance: { pageIndex: 0, rect: cover.sealRect }, sections: shifted(body, cover.pageCount) };
  }
  const tpl = await loadTemplate(template);
  const sections = shifted(body, tpl.getPageCount());
  const filled = await fillTemplate(tpl, templateValues(packageValues(c, sections, sha)));
  const pages = await doc.copyPages(filled.doc, filled.doc.getPageIndices());
  pages.forEach((p, i) => doc.insertPage(i, p));
  for (const l of filled.links) addLink(doc, doc.getPage(l.pageIndex), l.rect, c.verificationUrl!);
  await drawInBoxes(doc, c.signers, filled.drawings);
  return { sealAppearance: { pageIndex: filled.sealBox.pageIndex, rect: filled.sealBox.rect }, sections };
}

/** Each signer's drawing scaled into its template box (aspect kept, at the box's lower left); a signer without one leaves it empty. */
async function drawInBoxes(doc: PDFDocument, signers: PackageContent['signers'], boxes: FilledTemplate['drawings']): Promise<void> {
  const drawings = await embedDrawings(doc, signers);
  for (const { signer, place } of boxes) {
    const d = drawings[signer - 1];
    if (!d) continue;
    const [x, y, width, height] = place.rect;
    const scale = Math.min(width / d.image.width, height / d.image.height);
    doc.getPage(place.pageIndex).drawImage(d.image, { x, y, width: d.image.width * scale, height: d.image.height * scale });
  }
}

async function addAttachments(doc: PDFDocument, c: PackageContent): Promise<void> {
  const json = JSON.stringify(c.manifest, null, 2);
  if (typeof json !== 'string') bad('the manifest is not JSON-serialisable');
  const files = [
    ...c.attachments,
    {
      name: MANIFEST_NAME,
      mimeType: 'application/json',
      bytes: new Uint8Array(Buffer.from(`${json}\n`, 'utf8')),
      description: 'segl package manifest',
      afRelationship: 'Data' as const,
    },
  ];
  for (const f of files) {
    await doc.attach(f.bytes, f.name, {
      mimeType: f.mimeType,
      description: f.description,
      afRelationship: AF[f.afRelationship ?? 'Unspecified'],
      creationDate: c.createdAt,
      modificationDate: c.createdAt,
    });
  }
}

/** Document information (ISO 32000-1 §14.3.3) and the file identifier (§14.4), all from the content. */
function setMetadata(doc: PDFDocument, c: PackageContent, t: PackageTexts): void {
  doc.setTitle(`${t.title} – ${c.packageId}`);
  doc.setLanguage(c.language);
  doc.setCreator('segl packaging');
  doc.setProducer(`segl ${SEGL_VERSION} (@cantoo/pdf-lib)`);
  doc.setCreationDate(c.createdAt);
  doc.setModificationDate(c.createdAt);
  const id = createHash('sha256').update(`segl-package\u0000${c.packageId}\u0000${c.createdAt.toISOString()}`).digest('hex').slice(0, 32);
  const hex = PDFHexString.of(id);
  doc.context.trailerInfo.ID = doc.context.obj([hex, hex]);
}

/** Attachments deflated ahead (deflateSoon), by identity of their bytes. */
const deflated = new WeakMap<Uint8Array, Uint8Array>();
const deflating = new WeakMap<Uint8Array, Promise<void>>();

/**
 * Starts deflating `bytes`, an attachment to be, on libuv's thread pool (the maker calls it as soon as it holds an
 * LTV-SDO, so it runs while the SDO is verified and the pages laid out); resolves when it is done. A failure is
 * not an error here: the attachment is then deflated when pdf-lib embeds it.
 */
export function deflateSoon(bytes: Uint8Array): Promise<void> {
  let p = deflating.get(bytes);
  if (!p) {
    // One output chunk larger than zlib's bound for the input: by default zlib writes 16 KiB chunks and concatenates
    // them at the end, so a 70 MB SDO was held twice over, and the freed chunks stayed in the process (malloc's
    // heap does not give scattered small blocks back); pages of the chunk never written take no memory.
    p = deflateAsync(bytes, { chunkSize: bytes.byteLength + (bytes.byteLength >> 8) + 1024 }).then(
      (d) => void deflated.set(bytes, d),
      () => undefined,
    );
    deflating.set(bytes, p);
  }
  return p;
}

/**
 * pdf-lib deflates the streams it is handed whole (embedded files: the LTV-SDOs) with fflate, in JavaScript; Node's
 * zlib writes the same zlib format (RFC 1950, what /FlateDecode reads, ISO 32000-1 §7.4.4) in about half the time,
 * and what deflateSoon did ahead is taken as it is.
 */
function deflateWithZlib(doc: PDFDocument): void {
  const { context } = doc;
  context.flateStream = (contents, dict = {}) => {
    const bytes =
      (typeof contents !== 'string' && deflated.get(contents)) ||
      deflateSync(typeof contents === 'string' ? Buffer.from(contents, 'latin1') : contents);
    return context.stream(bytes, { ...dict, Filter: 'FlateDecode' });
  };
}

/**
 * Composes the unsigned package PDF. Throws PackageInputError for content it cannot show,
 * UnreadableOriginalError for a PDF original that is encrypted or unreadable, TemplateError for a
 * template it cannot fill.
 */
export async function composePackage(content: PackageContent): Promise<ComposedPackage> {
  const sha = validate(content);
  const ahead = Promise.all(content.attachments.map((a) => deflateSoon(a.bytes)));
  const t = textsFor(content.language);
  const doc = await PDFDocument.create({ updateMetadata: false });
  deflateWithZlib(doc);
  const fonts = await embedFonts(doc, 'SEGLC');
  const body = await addBody(doc, fonts, content, t, sha);
  const { sealAppearance, sections } = await addCover(doc, fonts, content, t, body, sha);
  await addAttachments(doc, content);
  setMetadata(doc, content, t);
  // PDF/A-3b (ISO 19005-3): XMP with pdfaid part 3 / conformance B mirroring the Info dictionary,
  // an sRGB OutputIntent (pdf-lib's bundled ICC profile), PDF 1.7 header; /ID is already set.
  if (content.options?.pdfa) doc.convertToPDFA({ conformance: '3B' });
  await ahead; // pdf-lib embeds the attachments in save()
  // The deflated attachments stay in `deflated` for as long as the caller holds their bytes: packaging the same
  // bytes again (the bench does; a job reads its SDOs afresh) does not deflate them again.
  const pdf = await withRoom(doc.context, () =>
    doc.save({ useObjectStreams: false, addDefaultPage: false, updateFieldAppearances: false }),
  );
  return { pdf, pageCount: doc.getPageCount(), sealAppearance, sections };
}

/**
 * Room left after a composed file of ROOM_FROM bytes or more in its buffer (ComposedPackage.pdf): the PAdES seal's
 * three incremental updates (field.ts IncrementalPdf, appendInPlace) are written there, so the sealed package is
 * the same buffer and never a second copy of a file of up to hundreds of MB. Pages of it that are never written
 * take no memory (a large zeroed buffer is fresh pages from the kernel). A smaller file is copied once, which costs
 * less than zeroing the room.
 */
const SEAL_ROOM = 1 << 20;
const ROOM_FROM = 4 << 20;

/**
 * Runs `save`, pdf-lib's save of the document of `context`, with its writer allocating SEAL_ROOM bytes more than a
 * file of ROOM_FROM bytes or more needs; the file is returned as a view of that buffer. pdf-lib sizes the file first
 * and writes it into one new buffer (PDFWriter.computeBufferSize, then serializeToBuffer): that size is raised, for
 * this context only (roomFor), so a save of another document meanwhile is not changed.
 */
async function withRoom(context: PDFContext, save: () => Promise<Uint8Array>): Promise<Uint8Array> {
  installRoomyWriters();
  const sized = { room: 0, used: -1 };
  roomFor.set(context, sized);
  try {
    const out = await save();
    return sized.room > 0 && out.byteLength === sized.used + sized.room ? out.subarray(0, sized.used) : out;
  } finally {
    roomFor.delete(context);
  }
}

const roomFor = new WeakMap<PDFContext, { room: number; used: number }>();
let roomyInstalled = false;

/** Wraps PDFWriter.forContext once: a writer for a context in roomFor sizes its buffer with the room added. */
function installRoomyWriters(): void {
  if (roomyInstalled) return;
  roomyInstalled = true;
  type Sizing = { computeBufferSize(incremental: boolean): Promise<{ size: number }> };
  const original = PDFWriter.forContext;
  PDFWriter.forContext = (ctx, objectsPerTick) => {
    const writer = original(ctx, objectsPerTick);
    const sized = roomFor.get(ctx);
    if (!sized) return writer;
    const sizing = writer as unknown as Sizing;
    const compute = sizing.computeBufferSize.bind(writer);
    sizing.computeBufferSize = async (incremental) => {
      const info = await compute(incremental);
      sized.used = info.size;
      sized.room = info.size >= ROOM_FROM ? SEAL_ROOM : 0;
      return { ...info, size: info.size + sized.room };
    };
    return writer;
  };
}
