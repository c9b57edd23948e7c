// The portal's page shell: one accessible, responsive layout (landmarks, skip link, language,
// focus styles, 360 px and up), colours from CSS variables so graphical profiles can restyle it.
import { codeOf, t, type LangLike } from './i18n';
import type { PortalProfile } from '../store/profiles';
import { escapeHtml } from '../util/escape';

/** HTML-escapes text for element content and attribute values (older views; new ones use html`` from ./html). */
export function h(s: string | number | undefined): string {
  return escapeHtml(s);
}

export const PORTAL_CSS = `
:root { --brand: #1d4f91; --brand-ink: #ffffff; --ink: #1b1f24; --muted: #4a5561; --paper: #ffffff; --wash: #f3f5f8;
  --line: #d5dbe3; --ok: #1e6b35; --warn: #7a4b00; --radius: 10px; font-size: 100%; }
* { box-sizing: border-box; }
body { margin: 0; font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: var(--wash); }
.skip { position: absolute; left: -999px; top: 0; background: var(--paper); color: var(--ink); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; top: .5rem; }
header.bar { background: var(--brand); color: var(--brand-ink); }
header.bar .inner, main, footer .inner { max-width: 46rem; margin: 0 auto; padding: 0 1rem; }
header.bar .inner { display: flex; align-items: center; gap: .75rem; min-height: 3.5rem; }
header.bar .brand { font-weight: 700; font-size: 1.125rem; letter-spacing: .01em; }
header.bar .service { opacity: .9; font-size: .95rem; }
main { padding-top: 1.5rem; padding-bottom: 2rem; }
.card { overflow-wrap: anywhere; min-width: 0; }
.card table { max-width: 100%; }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: var(--radius); padding: 1.25rem 1.25rem 1.5rem; box-shadow: 0 1px 2px rgba(0,0,0,.04); }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 .75rem; }
h2 { font-size: 1.125rem; margin: 1.5rem 0 .5rem; }
p { margin: 0 0 .75rem; }
.lead { color: var(--muted); }
.status { display: flex; align-items: baseline; gap: .5rem; font-weight: 600; margin-bottom: .75rem; }
.status::before { content: ""; flex: 0 0 .75rem; height: .75rem; border-radius: 50%; background: currentColor; }
h1.status { display: flex; color: var(--ink); } h1.status::before { margin-top: .45rem; align-self: flex-start; }
h1.status.ok::before { background: var(--ok); } h1.status.warn::before { background: var(--warn); } h1.status.info::before { background: var(--brand); }
.status.ok { color: var(--ok); } .status.warn { color: var(--warn); } .status.info { color: var(--brand); }
ul.docs { list-style: none; padding: 0; margin: 0; border-top: 1px solid var(--line); }
ul.docs li { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1rem; padding: .75rem 0; border-bottom: 1px solid var(--line); }
ul.docs .name { flex: 1 1 12rem; font-weight: 600; }
.tag { font-size: .85rem; padding: .1rem .5rem; border-radius: 999px; background: var(--wash); border: 1px solid var(--line); color: var(--muted); }
a { color: var(--brand); }
a:focus-visible, button:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
.button { display: inline-block; background: var(--brand); color: var(--brand-ink); border: 2px solid var(--brand); border-radius: 6px; padding: .65rem 1.1rem; font: inherit; font-weight: 600; text-decoration: none; cursor: pointer; }
.button.secondary { background: var(--paper); color: var(--brand); border: 2px solid var(--brand); }
.actions { display: flex; flex-wrap: wrap; gap: .75rem; margin-top: 1rem; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.tag.done { color: var(--ok); border-color: var(--ok); }
.choice { flex-basis: 100%; font-size: .95rem; }
.pdf canvas { display: block; width: 100%; height: auto; margin: 0 0 1rem; border: 1px solid var(--line); }
pre.text { white-space: pre-wrap; word-break: break-word; background: var(--wash); border: 1px solid var(--line); border-radius: 6px; padding: 1rem; font: .95rem/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
label { display: block; font-weight: 600; margin: .5rem 0 .25rem; }
textarea, input[type=text], input[type=password] { width: 100%; font: inherit; padding: .5rem; border: 1px solid var(--muted); border-radius: 6px; }
.actions form { margin: 0; }
blockquote.signtext { margin: 0 0 1rem; padding: .75rem 1rem; border-left: 4px solid var(--brand); background: var(--wash); }
label.inline { display: inline; font-weight: 400; }
footer { color: var(--muted); font-size: .875rem; }
footer .inner { padding-bottom: 2rem; }
@media (max-width: 480px) { h1 { font-size: 1.3rem; } .card { padding: 1rem; } }
/* the test-user tool (src/portal/testid.ts) */
.crumbs { margin: 0 0 1rem; font-size: .95rem; }
.fields { display: grid; grid-template-columns: repeat(auto-fit, minmax(13rem, 1fr)); gap: 0 1rem; }
.field { margin: 0 0 .75rem; min-width: 0; }
.hint { display: block; color: var(--muted); font-size: .9rem; margin: 0 0 .25rem; }
.field-error { display: block; color: #a4161a; font-weight: 600; margin: .25rem 0 0; }
input[aria-invalid=true] { border: 2px solid #a4161a; }
.errors { border: 2px solid #a4161a; border-radius: 6px; padding: .75rem 1rem; margin: 0 0 1rem; }
.errors h3 { margin: 0 0 .25rem; color: #a4161a; font-size: 1.05rem; }
.errors p { margin: 0; }
.find { display: flex; flex-wrap: wrap; gap: .75rem; align-items: flex-end; }
.find .field { flex: 1 1 14rem; margin: 0; }
.button.danger { background: #a4161a; border-color: #a4161a; color: #ffffff; }
dl.facts { display: grid; grid-template-columns: minmax(7rem, max-content) minmax(0, 1fr); gap: .35rem 1rem; margin: 0 0 1rem; }
dl.facts dt { font-weight: 600; color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
table.data { border-collapse: collapse; width: 100%; font-size: .95rem; }
table.data th, table.data td { text-align: left; vertical-align: top; padding: .4rem .75rem .4rem 0; border-bottom: 1px solid var(--line); }
table.data td:last-child { overflow-wrap: anywhere; }
table.data thead th { border-bottom: 2px solid var(--line); }
table.data time span { white-space: nowrap; }
.keycard { margin: 0 0 1.5rem; }
.keycard-meta { display: flex; flex-wrap: wrap; gap: .25rem .75rem; align-items: center; color: var(--muted); }
.keygrid { display: grid; grid-template-columns: repeat(auto-fill, minmax(8.5rem, 1fr)); gap: .5rem 1.25rem; }
table.keys { border-collapse: collapse; width: 100%; table-layout: fixed; font: .95rem/1.35 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
table.keys thead th { font: 600 .75rem/1.2 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--muted); overflow-wrap: anywhere; hyphens: auto; }
table.keys th, table.keys td { text-align: left; padding: .15rem .35rem .15rem 0; border-bottom: 1px solid var(--line); }
table.keys tbody th { font-weight: 600; }
table.keys td { white-space: nowrap; }
table.keys tr.used th, table.keys tr.used td { color: var(--muted); font-weight: 400; }
table.keys tr.used .code { text-decoration: line-through; }
@media (max-width: 480px) { dl.facts { grid-template-columns: minmax(0, 1fr); gap: 0; } dl.facts dd { margin-bottom: .5rem; } }
@media print {
  .skip, header.bar, footer, .crumbs, .noprint { display: none; }
  body { background: #ffffff; }
  main { max-width: none; padding: 0; }
  .card { border: 0; box-shadow: none; padding: 0; }
  .keycard { break-inside: avoid; }
}
`;

/** A graphical profile as a page shows it. */
export interface PageLook { css: string; logo?: { src: string; alt: string }; displayName?: string }

/** The stylesheet of a profile: its colours as the CSS variables the base stylesheet uses. */
export function profileCss(p: PortalProfile): string {
  const c = p.colours ?? {};
  const vars = [c.brand && `--brand: ${c.brand};`, c.brandInk && `--brand-ink: ${c.brandInk};`, c.ink && `--ink: ${c.ink};`].filter(Boolean);
  return `:root { ${vars.join(' ')} }\nheader.bar img.logo { height: 2rem; width: auto; }\n`;
}

export interface PageOptions {
  lang: LangLike;
  title: string;
  /** the page's main content, already escaped HTML */
  main: string;
  /** the service whose task this is (shown in the header) */
  service?: string;
  look?: PageLook;
}

export function page(o: PageOptions): string {
  return `<!doctype html>
<html lang="${codeOf(o.lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(o.title)} · ${h(t(o.lang, 'app.name'))}</title>
<link rel="stylesheet" href="/portal/static/portal.css">${o.look ? `\n<link rel="stylesheet" href="${h(o.look.css)}">` : ''}
</head>
<body>
<a class="skip" href="#main">${h(t(o.lang, 'skip'))}</a>
<header class="bar"><div class="inner">${o.look?.logo ? `<img class="logo" src="${h(o.look.logo.src)}" alt="${h(o.look.logo.alt)}">` : ''}<span class="brand">${h(t(o.lang, 'app.name'))}</span>${o.look?.displayName ?? o.service ? `<span class="service">· ${h(o.look?.displayName ?? o.service)}</span>` : ''}</div></header>
<main id="main" tabindex="-1"><div class="card">
${o.main}
</div></main>
<footer><div class="inner">${h(t(o.lang, 'footer'))}</div></footer>
</body>
</html>
`;
}
