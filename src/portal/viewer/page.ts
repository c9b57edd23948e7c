// The viewer's pages in the portal's look and five languages: the upload form, and a report
// (report.ts) as a person reads it — the verdict first, in plain words with the ETSI indication
// beside it, then per signature who signed what and when, the checks and the audit trail.
import { html, join, type Html } from '../html';
import { codeOf, t, type LangLike, type TextKey } from '../i18n';
import type { PadesItemView, SdoView, ViewerReport } from './report';

export interface ViewerPage {
  title: string;
  main: Html;
}

const RESULT_CLASS = { 'TOTAL-PASSED': 'ok', 'TOTAL-FAILED': 'warn', INDETERMINATE: 'warn' } as const;
const SUB_TEXTS = ['HASH_FAILURE', 'SIG_CRYPTO_FAILURE', 'FORMAT_FAILURE', 'NO_CERTIFICATE_CHAIN_FOUND', 'REVOKED'];

/** The upload form (no JavaScript needed); `notice` above it (why the last upload was refused). */
export function uploadForm(lang: LangLike, maxMb: number): Html {
  return html`<form method="post" action="/viewer?lang=${codeOf(lang)}" enctype="multipart/form-data"><label for="file">${t(lang, 'viewer.file')}</label><input type="file" id="file" name="file" accept=".xml,.pdf,application/pdf,application/xml,application/x-ltv-sdo" required><p class="hint">${t(lang, 'viewer.limit', { mb: String(maxMb) })}</p><div class="actions"><button class="button">${t(lang, 'viewer.check')}</button></div></form>`;
}

export function uploadPage(lang: LangLike, maxMb: number, notice?: string): ViewerPage {
  const title = t(lang, 'viewer.title');
  const alert = notice ? html`<p class="status warn" role="alert">${notice}</p>` : '';
  return { title, main: html`<h1>${title}</h1>${alert}<p class="lead">${t(lang, 'viewer.lead')}</p>${uploadForm(lang, maxMb)}` };
}

/** The plain-language reason of a sub-indication. */
export function reason(lang: LangLike, sub: string | undefined): string {
  return t(lang, (SUB_TEXTS.includes(sub ?? '') ? `viewer.sub.${sub}` : 'viewer.sub.other') as TextKey);
}

function verdict(
  lang: LangLike,
  v: { indication: ViewerReport['indication']; subIndication?: string; message: string },
  heading: 'h1' | 'p',
): Html {
  const text = t(lang, `viewer.result.${v.indication}` as TextKey);
  const head =
    heading === 'h1'
      ? html`<h1 class="status ${RESULT_CLASS[v.indication]}">${text}</h1>`
      : html`<p class="status ${RESULT_CLASS[v.indication]}"><strong>${text}</strong></p>`;
  const code = `${v.indication}${v.subIndication ? ` / ${v.subIndication}` : ''}`;
  const why =
    v.indication === 'TOTAL-PASSED' ? '' : html`<p>${reason(lang, v.subIndication)} ${t(lang, 'viewer.why', { reason: v.message })}</p>`;
  return html`${head}<p>${t(lang, 'viewer.indication', { indication: code })}</p>${why}`;
}

const fact = (label: string, value: string | undefined): Html | '' => (value ? html`<dt>${label}</dt><dd>${value}</dd>` : '');

/** A signed PDF drawn by pdf.js from a data block in the page (static/viewer.js); nothing is fetched. */
function pdfView(lang: LangLike, d: SdoView['documents'][number], s: SdoView): Html | '' {
  if (d.pdf === undefined) return '';
  const id = `pdf-${(s.name ?? 'sdo').replace(/[^\w-]/g, '_')}-${d.id.replace(/[^\w-]/g, '_')}`;
  return html`<div class="pdf" data-pdf-from="${id}" data-page-label="${t(lang, 'doc.page')}"></div><script type="application/octet-stream" id="${id}">${d.pdf}</script>`;
}

function sdoSection(lang: LangLike, s: SdoView, title: string): Html {
  const facts = html`<dl class="facts">${fact(t(lang, 'viewer.signer'), s.signer?.name)}${fact(t(lang, 'viewer.method'), s.signer?.method)}${fact(
    t(lang, 'viewer.signedAt'),
    s.signedAt,
  )}${fact(t(lang, 'viewer.nationalId'), s.signer?.nationalIdMasked)}${fact('PID', s.signer?.pid)}${fact(t(lang, 'viewer.seal'), s.seal?.subject)}</dl>`;
  const signText = s.signText ? html`<h3>${t(lang, 'viewer.signText')}</h3><blockquote class="signtext">${s.signText}</blockquote>` : '';
  const ink = s.handwriting
    ? html`<h3>${t(lang, 'viewer.handwriting')}</h3><figure class="ink"><img src="data:image/png;base64,${s.handwriting.png}" width="${String(
        s.handwriting.width,
      )}" height="${String(s.handwriting.height)}" alt="${t(lang, 'viewer.handwritingAlt', { name: s.signer?.name ?? '' })}"></figure>`
    : '';
  const docs = s.documents.length
    ? html`<h3>${t(lang, 'viewer.documents')}</h3><ul class="docs">${s.documents.map(
        (d) =>
          html`<li><span class="name">${d.description ?? d.id}</span> <span class="hint">${d.mimeType}, ${String(d.size)} bytes, SHA-256 ${d.sha256}</span>${
            d.text === undefined ? '' : html`<pre class="text">${d.text}</pre>`
          }${pdfView(lang, d, s)}</li>`,
      )}</ul>`
    : '';
  const checks = s.checks.length
    ? html`<h3>${t(lang, 'viewer.checks')}</h3><ul>${s.checks.map(
        (c) => html`<li><strong>${c.ok ? t(lang, 'viewer.ok') : t(lang, 'viewer.failed')}</strong> ${c.name}: ${c.detail}</li>`,
      )}</ul>`
    : '';
  const audit = s.audit.length
    ? html`<h3>${t(lang, 'viewer.audit')}</h3><table class="data"><thead><tr><th scope="col">${t(lang, 'viewer.col.time')}</th><th scope="col">${t(lang, 'viewer.col.event')}</th><th scope="col">${t(lang, 'viewer.col.text')}</th></tr></thead><tbody>${s.audit.map(
        (a) => html`<tr><td>${a.time}</td><td>${a.type}</td><td>${a.text}</td></tr>`,
      )}</tbody></table>`
    : '';
  return html`<section class="card"><h2>${title}</h2>${verdict(lang, s, 'p')}${facts}${signText}${ink}${docs}${checks}${audit}</section>`;
}

function padesItem(lang: LangLike, i: PadesItemView): Html {
  const later = i.coversWholeFile
    ? t(lang, 'viewer.wholeFile')
    : t(lang, 'viewer.laterChanges', { list: i.laterChanges.join(', ') || '—' });
  return html`<li><strong>${i.field}</strong> (${i.kind}, ${i.subFilter}): ${t(lang, `viewer.result.${i.indication}` as TextKey)}${
    i.level ? html` · ${t(lang, 'viewer.level', { level: i.level })}` : ''
  }${i.time ? html` · ${i.time}` : ''}${i.signer ? html`<br>${i.signer}` : ''}<br>${later}${
    i.indication === 'TOTAL-PASSED' ? '' : html`<br>${i.message}`
  }</li>`;
}

/** `hrefs`: where the report's XML (etsi.ts) and PDF (reportpdf.ts) download from: data: URLs, or the stored result's. */
export function reportPage(lang: LangLike, r: ViewerReport, maxMb: number, hrefs: { xml: string; pdf: string }): ViewerPage {
  const title = t(lang, `viewer.result.${r.indication}` as TextKey);
  const untrusted = r.untrustedRoot ? html`<p class="status warn">${t(lang, 'viewer.untrusted')}</p>` : '';
  const pades = r.pades
    ? html`<section class="card"><h2>${t(lang, 'viewer.pdfSignatures')}</h2>${
        r.pades.refusedChanges.length
          ? html`<p class="status warn">${t(lang, 'viewer.modified', { list: r.pades.refusedChanges.join(', ') })}</p>`
          : ''
      }<ul>${r.pades.items.map((i) => padesItem(lang, i))}</ul></section>`
    : '';
  const sdos = join(
    r.sdos.map((s) => sdoSection(lang, s, s.name ? t(lang, 'viewer.attached', { name: s.name }) : t(lang, 'viewer.signature'))),
  );
  const drawn = r.sdos.some((s) => s.documents.some((d) => d.pdf !== undefined));
  const script = drawn ? html`<script type="module" src="/portal/static/viewer.js"></script>` : '';
  const main = html`${verdict(lang, r, 'h1')}${untrusted}<p class="hint">${r.kind === 'pades' ? 'PAdES' : 'LTV-SDO'}, ${String(r.size)} bytes, SHA-256 ${r.sha256}. ${t(
    lang,
    'viewer.nothingKept',
  )}</p><p class="actions"><a class="button secondary" download="validation-report.pdf" href="${hrefs.pdf}">${t(lang, 'viewer.reportPdf')}</a> <a class="button secondary" download="validation-report.xml" href="${hrefs.xml}">${t(lang, 'viewer.reportXml')}</a></p>${pades}${sdos}<h2>${t(lang, 'viewer.another')}</h2>${uploadForm(lang, maxMb)}${script}`;
  return { title, main };
}
