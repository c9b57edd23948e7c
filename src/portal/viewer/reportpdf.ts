// The viewer's report (report.ts) as a PDF a person can keep, print or hand to a court: the same model the
// page and the XML (etsi.ts) are made from, in the reader's language — the file (name when given, SHA-256),
// the validation time, the verdict with its ETSI indication, sub-indication and plain reason, the PDF's
// signatures and revisions, each LTV-SDO's signer (national id masked already in the model), seal, checks
// and audit trail, the trust anchors checked against, and on every page "produced by segl <version> at
// <url>". Laid out with the packaging's flow layout and DejaVu Sans embedded as subsets (packaging/fonts.ts),
// so æøå, äö and the rest render in any reader. Not PDF/A: no XMP metadata or OutputIntent (docs/viewer.md).
// Deterministic: the same report gives the same bytes (dates from the validation time, fixed font tags).
import { createHash } from 'node:crypto';
import { PDFDocument } from '@cantoo/pdf-lib';
import type * as x509 from '@peculiar/x509';
import { formatTime } from '../../packaging/format';
import { embedDrawing } from '../../packaging/cover';
import { drawBlocks, paginate, type Block, type Measured, type Row, type RowImage } from '../../packaging/layout';
import { embedFonts, type Fonts } from '../../packaging/fonts';
import { PageContent } from '../../packaging/pagecontent';
import { GREY, PAGE, wrap } from '../../packaging/text';
import { SEGL_VERSION } from '../../version';
import { codeOf, t, tn, type LangLike, type TextKey } from '../i18n';
import { reason } from './page';
import type { PadesItemView, SdoView, ViewerReport } from './report';

export interface ReportPdfOptions {
  lang: LangLike;
  /** the uploaded file's name, when the viewer was given one (it is never kept) */
  fileName?: string;
  /** the trust anchors the file was checked against */
  anchors: x509.X509Certificate[];
  /** where this segl answers (the footer) */
  url: string;
}

const TITLE = { size: 17, room: 30 };
const FOOT = { size: 7.5, leading: 9.5, room: 24 };

const when = (iso: string | undefined): string => {
  const d = iso ? new Date(iso) : undefined;
  return d && !Number.isNaN(d.getTime()) ? formatTime(d) : (iso ?? '');
};

/** Rows without a value are left out (a signer without PID, a signature without a time). */
const rows = (...r: Array<[string, string | undefined]>): Row[] =>
  r.filter((x): x is [string, string] => !!x[1]).map(([label, value]) => ({ label, value }));

type Verdict = Pick<ViewerReport, 'indication' | 'subIndication' | 'message'>;

function verdictRows(lang: LangLike, v: Verdict): Row[] {
  const code = `${v.indication}${v.subIndication ? ` / ${v.subIndication}` : ''}`;
  return rows(
    [t(lang, 'viewer.pdf.result'), `${t(lang, `viewer.result.${v.indication}` as TextKey)} (${code})`],
    [
      t(lang, 'viewer.pdf.reason'),
      v.indication === 'TOTAL-PASSED' ? undefined : `${reason(lang, v.subIndication)} ${t(lang, 'viewer.why', { reason: v.message })}`,
    ],
  );
}

function revisions(lang: LangLike, r: ViewerReport): string {
  if (!r.pades) return t(lang, 'viewer.pdf.revisionsNone');
  const count = tn(lang, 'viewer.pdf.revisionCount', r.pades.revisions);
  const refused = r.pades.refusedChanges;
  return `${count} ${refused.length ? t(lang, 'viewer.modified', { list: refused.join(', ') }) : t(lang, 'viewer.pdf.revisionsClean')}`;
}

function fileBlocks(lang: LangLike, r: ViewerReport, fileName: string | undefined): Block[] {
  const head: Block[] = [{ kind: 'heading', text: t(lang, `viewer.result.${r.indication}` as TextKey) }];
  if (r.untrustedRoot) head.push({ kind: 'para', text: t(lang, 'viewer.untrusted') });
  const card = rows(
    [t(lang, 'viewer.pdf.file'), fileName || t(lang, 'viewer.pdf.noName')],
    [t(lang, 'viewer.pdf.kind'), `${r.kind === 'pades' ? 'PAdES' : 'LTV-SDO'}, ${t(lang, 'viewer.pdf.bytes', { n: r.size })}`],
    ['SHA-256', r.sha256],
    [t(lang, 'viewer.pdf.validatedAt'), when(r.verifiedAt)],
    ...verdictRows(lang, r).map((x): [string, string] => [x.label, x.value]),
    [t(lang, 'viewer.pdf.revisions'), revisions(lang, r)],
  );
  return [...head, { kind: 'card', rows: card }];
}

function padesBlocks(lang: LangLike, items: PadesItemView[]): Block[] {
  if (!items.length) return [];
  return [
    { kind: 'heading', text: t(lang, 'viewer.pdfSignatures') },
    ...items.map((i): Block => ({
      kind: 'card',
      rows: [
        ...rows(
          [t(lang, 'viewer.signature'), `${i.field} (${i.kind}, ${i.subFilter})`],
          [t(lang, 'viewer.signer'), i.signer],
          [t(lang, 'viewer.signedAt'), i.time && when(i.time)],
          [t(lang, 'viewer.pdf.level'), i.level],
        ),
        ...verdictRows(lang, i),
        ...rows([
          t(lang, 'viewer.pdf.revisions'),
          i.coversWholeFile ? t(lang, 'viewer.wholeFile') : t(lang, 'viewer.laterChanges', { list: i.laterChanges.join(', ') || '—' }),
        ]),
      ],
    })),
  ];
}

/** `drawing`: the signer's drawing embedded (embedDrawing), when the LTV-SDO holds one. */
function sdoBlocks(lang: LangLike, s: SdoView, drawing?: RowImage): Block[] {
  const title = s.name ? t(lang, 'viewer.attached', { name: s.name }) : t(lang, 'viewer.signature');
  const out: Block[] = [
    { kind: 'heading', text: title },
    {
      kind: 'card',
      rows: [
        ...rows(
          [t(lang, 'viewer.signer'), s.signer?.name],
          [t(lang, 'viewer.method'), s.signer?.method],
          [t(lang, 'viewer.signedAt'), s.signedAt && when(s.signedAt)],
          [t(lang, 'viewer.nationalId'), s.signer?.nationalIdMasked],
          ['PID', s.signer?.pid],
          [t(lang, 'viewer.pdf.level'), s.unreadable ? undefined : t(lang, 'viewer.pdf.sdoLevel')],
          [t(lang, 'viewer.seal'), s.seal && `${s.seal.subject} (${t(lang, 'viewer.pdf.issuer', { issuer: s.seal.issuer })})`],
        ),
        ...verdictRows(lang, s),
        ...(drawing ? [{ label: t(lang, 'viewer.handwriting'), value: '', image: drawing }] : []),
      ],
    },
  ];
  if (s.signText) out.push({ kind: 'para', text: `${t(lang, 'viewer.signText')}: ${s.signText}` });
  const section = (key: TextKey, r: Row[]) => (r.length ? out.push({ kind: 'heading', text: t(lang, key) }, { kind: 'card', rows: r }) : 0);
  section(
    'viewer.documents',
    s.documents.map((d) => ({
      label: d.description ?? d.id,
      value: `${d.mimeType}, ${t(lang, 'viewer.pdf.bytes', { n: d.size })}, SHA-256 ${d.sha256}`,
    })),
  );
  section(
    'viewer.checks',
    s.checks.map((c) => ({ label: t(lang, c.ok ? 'viewer.ok' : 'viewer.failed'), value: `${c.name}: ${c.detail}` })),
  );
  section(
    'viewer.audit',
    s.audit.map((a) => ({ label: when(a.time), value: a.text ? `${a.type}: ${a.text}` : a.type })),
  );
  return out;
}

function anchorBlocks(lang: LangLike, anchors: x509.X509Certificate[]): Block[] {
  const list = anchors.map((a) => ({
    label: a.subject,
    value: `SHA-256 ${createHash('sha256').update(new Uint8Array(a.rawData)).digest('hex')} · ${t(lang, 'viewer.pdf.validUntil', {
      time: formatTime(a.notAfter),
    })}`,
  }));
  return [
    { kind: 'heading', text: t(lang, 'viewer.pdf.anchors') },
    list.length ? { kind: 'card', rows: list } : { kind: 'para', text: '—' },
  ];
}

/**
 * paginate, with no heading left last on a page: the packaging layout moves a card that fits a page whole to the
 * next one, which can leave its heading behind. An empty paragraph as tall as fits then goes before that heading,
 * so the heading starts the next page with its card.
 */
function paginateKeepingHeadings(blocks: Block[], fonts: Fonts, width: number, first: number, full: number): Measured[][] {
  const h = (lines: number) => paginate([{ kind: 'para', text: '\n'.repeat(lines - 1) }], fonts, width, full, full)[0]![0]!.height;
  const leading = h(2) - h(1);
  const after = h(1) - leading;
  let list = blocks;
  for (let round = 0; round <= blocks.length; round++) {
    const pages = paginate(list, fonts, width, first, full);
    const k = pages.findIndex((p, i) => i < pages.length - 1 && p[p.length - 1]?.kind === 'heading');
    if (k < 0) return pages;
    const page = pages[k]!;
    const left = (k === 0 ? first : full) - page.slice(0, -1).reduce((sum, m) => sum + m.height, 0);
    const lines = Math.min(Math.floor((left - after) / leading), 40);
    if (lines < 1) return pages;
    // the heading's place in `list`: headings are measured one to one
    const nth = pages.slice(0, k + 1).reduce((n, p) => n + p.filter((m) => m.kind === 'heading').length, 0);
    let seen = 0;
    const at = list.findIndex((b) => b.kind === 'heading' && ++seen === nth);
    list = [...list.slice(0, at), { kind: 'para', text: '\n'.repeat(lines - 1) }, ...list.slice(at)];
  }
  return paginate(list, fonts, width, first, full);
}

/** The report as PDF bytes. */
export async function validationReportPdf(r: ViewerReport, o: ReportPdfOptions): Promise<Uint8Array> {
  const { lang } = o;
  const doc = await PDFDocument.create({ updateMetadata: false });
  const fonts = await embedFonts(doc, 'SEGLV');
  const title = t(lang, 'viewer.pdf.title');
  const at = new Date(r.verifiedAt);
  doc.setTitle(`${title} · SHA-256 ${r.sha256}`);
  doc.setLanguage(codeOf(lang));
  doc.setProducer(`segl ${SEGL_VERSION} (@cantoo/pdf-lib)`);
  doc.setCreator(`segl ${SEGL_VERSION} viewer`);
  if (!Number.isNaN(at.getTime())) {
    doc.setCreationDate(at);
    doc.setModificationDate(at);
  }
  const blocks: Block[] = [
    ...fileBlocks(lang, r, o.fileName),
    ...padesBlocks(lang, r.pades?.items ?? []),
    ...(
      await Promise.all(
        r.sdos.map(async (s) => sdoBlocks(lang, s, s.handwriting && (await embedDrawing(doc, Buffer.from(s.handwriting.png, 'base64'))))),
      )
    ).flat(),
    ...anchorBlocks(lang, o.anchors),
  ];
  const { width, height, margin } = PAGE;
  const contentWidth = width - 2 * margin;
  const full = height - 2 * margin - FOOT.room;
  const pages = paginateKeepingHeadings(blocks, fonts, contentWidth, full - TITLE.room, full);
  const footer = t(lang, 'viewer.pdf.footer', { version: SEGL_VERSION, url: o.url });
  pages.forEach((content, i) => {
    const page = doc.addPage([width, height]);
    const ink = new PageContent(doc, page);
    let top = height - margin;
    if (i === 0) {
      ink.text(title, { x: margin, y: top - TITLE.size, size: TITLE.size, font: fonts.bold });
      top -= TITLE.room;
    }
    drawBlocks(doc, page, ink, fonts, content, margin, top, contentWidth);
    const pageNo = t(lang, 'doc.page', { n: i + 1, total: pages.length });
    const noWidth = fonts.regular.widthOfTextAtSize(pageNo, FOOT.size);
    const rule = margin + FOOT.room - 4;
    ink.line({ start: { x: margin, y: rule }, end: { x: width - margin, y: rule }, thickness: 0.5, color: GREY });
    ink.text(pageNo, { x: width - margin - noWidth, y: rule - FOOT.leading, size: FOOT.size, font: fonts.regular, color: GREY });
    wrap(footer, fonts.regular, FOOT.size, contentWidth - noWidth - 12)
      .slice(0, 2)
      .forEach((l, k) => ink.text(l, { x: margin, y: rule - (k + 1) * FOOT.leading, size: FOOT.size, font: fonts.regular, color: GREY }));
    ink.finish();
  });
  return doc.save({ addDefaultPage: false, updateFieldAppearances: false });
}
