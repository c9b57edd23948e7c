// The built-in cover: title and package facts beside an empty framed box kept for the visible seal,
// then the documents, the signers, the platform seal and the verification link, flowing onto as
// many pages as they need. Inserted before the originals. A signer who drew a signature (InkSign) has
// the drawing in their block, scaled into a box, captioned as part of the signed evidence.
import { rgb, type PDFDocument } from '@cantoo/pdf-lib';
import type { Fonts } from './fonts';
import { drawBlocks, paginate, type Block, type Measured, type Row, type RowImage } from './layout';
import { PageContent } from './pagecontent';
import { GREY, PAGE, wrap } from './text';
import type { PackageTexts } from './texts';
import { PackageInputError, type PackageSigner } from './types';
import type { PackageValues } from './values';

const TITLE = { size: 16, leading: 20 };
const META = { size: 9, leading: 12 };
/** The seal box: the visible seal's appearance is drawn into it when the package is sealed. */
const BOX = { width: 210, height: 78, caption: 7.5, gap: 14 };
const CONTINUED_HEADER = 24;

function row(label: string, value: string): Row {
  return { label, value };
}

/** The box a drawing is scaled into, keeping its aspect ratio: 60 mm × 20 mm in points. */
const DRAWING = { width: (60 * 72) / 25.4, height: (20 * 72) / 25.4 };

/**
 * Embeds each signer's drawing (PNG, ISO 32000-1 §8.9.5 image XObject with an SMask for its transparency) and
 * gives the size it is drawn at on the cover; by signer, undefined for one without a drawing. PackageInputError
 * for a PNG pdf-lib cannot read.
 */
export async function embedDrawings(doc: PDFDocument, signers: PackageSigner[]): Promise<Array<RowImage | undefined>> {
  const out: Array<RowImage | undefined> = [];
  for (const s of signers) {
    const h = s.handwriting;
    out.push(
      h &&
        (await embedDrawing(doc, h.png).catch((e: unknown) => {
          throw new PackageInputError(`signer ${s.name}: the handwritten signature is not a readable PNG (${(e as Error).message})`);
        })),
    );
  }
  return out;
}

/** One drawing embedded (a PNG pdf-lib can read) and the size it is drawn at: scaled into the 60 mm × 20 mm box. */
export async function embedDrawing(doc: PDFDocument, png: Uint8Array): Promise<RowImage> {
  const image = await doc.embedPng(png);
  const scale = Math.min(DRAWING.width / image.width, DRAWING.height / image.height);
  return { image, width: image.width * scale, height: image.height * scale };
}

function blocks(v: PackageValues, t: PackageTexts, drawings: ReadonlyArray<RowImage | undefined>): Block[] {
  const out: Block[] = [
    { kind: 'para', text: t.intro },
    { kind: 'heading', text: t.documents },
  ];
  for (const d of v.documents) {
    out.push({
      kind: 'card',
      rows: [
        row(t.description, d.description || d.id),
        row(t.externalReference, d.externalReference),
        row(t.type, d.mimeType),
        row(t.sha256, d.sha256),
        row(t.pages, d.pages),
      ],
    });
  }
  out.push({ kind: 'heading', text: t.signers });
  v.signers.forEach((s, i) => {
    // a handwriting-only signature: nobody an eID named, no certificate of the signer; said so in the method row
    const only = s.level === 'simple';
    const rows = [row(t.name, only ? t.notIdentified : s.name)];
    if (s.nationalId) rows.push(row(t.nationalId, s.nationalId));
    rows.push(row(t.nationality, s.nationality), row(t.method, only ? t.handwritingOnly : s.method));
    if (s.pid) rows.push(row(t.pid, s.pid));
    rows.push(row(t.signedAt, s.signedAt));
    if (!only) rows.push(row(t.certSubject, s.certSubject), row(t.certIssuer, s.certIssuer));
    rows.push(row(t.indication, s.indication), row(t.signedDocuments, s.documents));
    const drawing = drawings[i];
    if (drawing) rows.push({ label: t.handwriting, value: '', image: drawing });
    out.push({ kind: 'card', rows });
  });
  out.push(
    { kind: 'heading', text: t.seal },
    { kind: 'card', rows: [row(t.sealSubject, v.seal.subject), row(t.sealIssuer, v.seal.issuer), row(t.packagedAt, v.createdAt)] },
  );
  if (v.verificationUrl) {
    out.push(
      { kind: 'heading', text: t.verification },
      { kind: 'para', text: t.verificationText },
      { kind: 'para', text: v.verificationUrl, link: v.verificationUrl },
    );
  }
  return out;
}

interface Header {
  title: string[];
  meta: string[];
  height: number;
}

function header(v: PackageValues, t: PackageTexts, fonts: Fonts, width: number): Header {
  const left = width - BOX.width - BOX.gap;
  const title = wrap(t.title, fonts.bold, TITLE.size, left);
  const facts: Array<[string, string]> = [
    [t.package, v.packageId],
    [t.service, v.serviceName],
    [t.request, v.requestId],
    [t.clientReference, v.clientReference],
    [t.packagedAt, v.createdAt],
  ];
  const meta = facts.filter(([, value]) => value).flatMap(([label, value]) => wrap(`${label}: ${value}`, fonts.regular, META.size, left));
  const textHeight = title.length * TITLE.leading + 6 + meta.length * META.leading;
  return { title, meta, height: Math.max(textHeight, BOX.caption + 4 + BOX.height) + 14 };
}

const BOX_BORDER = rgb(0.45, 0.45, 0.45);

function drawFirstHeader(ink: PageContent, fonts: Fonts, h: Header, t: PackageTexts): [number, number, number, number] {
  const { margin, width, height } = PAGE;
  let y = height - margin;
  for (const l of h.title) ink.text(l, { x: margin, y: (y -= TITLE.leading) + 4, size: TITLE.size, font: fonts.bold });
  y -= 6;
  for (const l of h.meta) ink.text(l, { x: margin, y: (y -= META.leading) + 2.5, size: META.size, font: fonts.regular });
  const boxX = width - margin - BOX.width;
  const top = height - margin;
  ink.text(t.sealBox, { x: boxX, y: top - BOX.caption, size: BOX.caption, font: fonts.regular, color: GREY });
  const rect: [number, number, number, number] = [boxX, top - BOX.caption - 4 - BOX.height, BOX.width, BOX.height];
  ink.rect({ x: rect[0], y: rect[1], width: rect[2], height: rect[3], border: BOX_BORDER, borderWidth: 0.75 });
  const ruleY = height - margin - h.height + 6;
  ink.line({ start: { x: margin, y: ruleY }, end: { x: width - margin, y: ruleY }, thickness: 0.5, color: GREY });
  return rect;
}

function drawContinuedHeader(ink: PageContent, fonts: Fonts, v: PackageValues, t: PackageTexts): void {
  const { margin, width, height } = PAGE;
  const text = `${t.title} ${t.continued} · ${t.package} ${v.packageId}`;
  const line = wrap(text, fonts.regular, 8, width - 2 * margin)[0] ?? '';
  ink.text(line, { x: margin, y: height - margin - 8, size: 8, font: fonts.regular, color: GREY });
  const y = height - margin - CONTINUED_HEADER + 8;
  ink.line({ start: { x: margin, y }, end: { x: width - margin, y }, thickness: 0.5, color: GREY });
}

export interface CoverResult {
  pageCount: number;
  sealRect: [number, number, number, number];
}

/**
 * Inserts the cover pages at the front of `doc`. `valuesFor(n)` gives the values for a cover of n
 * pages (the documents' page numbers follow the cover); the layout is repeated until the count it
 * assumed is the count it needs. `drawings`: embedDrawings' answer for the same signers.
 */
export function insertCover(
  doc: PDFDocument,
  fonts: Fonts,
  t: PackageTexts,
  valuesFor: (coverPages: number) => PackageValues,
  drawings: ReadonlyArray<RowImage | undefined> = [],
): CoverResult {
  const { margin, width, height } = PAGE;
  const contentWidth = width - 2 * margin;
  let assumed = 1;
  let v = valuesFor(assumed);
  let h = header(v, t, fonts, contentWidth);
  let pages: Measured[][] = [];
  for (let round = 0; round < 5; round++) {
    pages = paginate(blocks(v, t, drawings), fonts, contentWidth, height - 2 * margin - h.height, height - 2 * margin - CONTINUED_HEADER);
    if (pages.length === assumed) break;
    assumed = pages.length;
    v = valuesFor(assumed);
    h = header(v, t, fonts, contentWidth);
  }
  let sealRect: [number, number, number, number] = [0, 0, 0, 0];
  pages.forEach((content, i) => {
    const page = doc.insertPage(i, [width, height]);
    const ink = new PageContent(doc, page);
    if (i === 0) sealRect = drawFirstHeader(ink, fonts, h, t);
    else drawContinuedHeader(ink, fonts, v, t);
    const top = height - margin - (i === 0 ? h.height : CONTINUED_HEADER);
    drawBlocks(doc, page, ink, fonts, content, margin, top, contentWidth);
    ink.finish();
  });
  return { pageCount: pages.length, sealRect };
}
