// The portal's page shell: one accessible, responsive layout (landmarks, skip link, language,
// focus styles, 360 px and up), colours from CSS variables so graphical profiles can restyle it.
import { codeOf, t, type LangLike } from './i18n';
import type { PortalProfile } from '../store/profiles';
import { html, raw, type Html } from './html';

/** A graphical profile as a page shows it. */
export interface PageLook {
  css: string;
  logo?: { src: string; alt: string };
  displayName?: string;
}

/** The stylesheet of a profile: its colours as the CSS variables the base stylesheet uses. */
export function profileCss(p: PortalProfile): string {
  const c = p.colours ?? {};
  const vars = [c.brand && `--brand: ${c.brand};`, c.brandInk && `--brand-ink: ${c.brandInk};`, c.ink && `--ink: ${c.ink};`].filter(
    Boolean,
  );
  return `:root { ${vars.join(' ')} }\nheader.bar img.logo { height: 2rem; width: auto; }\n`;
}

export interface PageOptions {
  lang: LangLike;
  title: string;
  /** the page's main content: markup (an Html, or a string of already escaped HTML) */
  main: string | Html;
  /** the service whose task this is (shown in the header) */
  service?: string;
  look?: PageLook;
}

export function page(o: PageOptions): string {
  const name = t(o.lang, 'app.name');
  const shown = o.look?.displayName ?? o.service;
  const stylesheet = o.look && html`\n<link rel="stylesheet" href="${o.look.css}">`;
  const logo = o.look?.logo && html`<img class="logo" src="${o.look.logo.src}" alt="${o.look.logo.alt}">`;
  const service = shown && html`<span class="service">· ${shown}</span>`;
  // main: a string is already escaped HTML (segl's own markup), an Html is inserted as it is
  return html`<!doctype html>
<html lang="${codeOf(o.lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · ${name}</title>
<link rel="stylesheet" href="/portal/static/portal.css">${stylesheet}
</head>
<body>
<a class="skip" href="#main">${t(o.lang, 'skip')}</a>
<header class="bar"><div class="inner">${logo}<span class="brand">${name}</span>${service}</div></header>
<main id="main" tabindex="-1"><div class="card">
${raw(String(o.main))}
</div></main>
<footer><div class="inner">${t(o.lang, 'footer')}</div></footer>
</body>
</html>
`.value;
}
