// `/verify`: where a package's cover page points (src/packaging/maker.ts). It says, in the reader's
// language, what the seal on a segl PDF proves, links to the viewer (/viewer, docs/viewer.md) that checks
// the file in the browser, and how to check it with tools that exist today. Nothing is stored or read.
import type express from 'express';
import { SECURITY_HEADERS } from '../answer';
import { html } from '../html';
import { codeOf, pickLanguage, t } from '../i18n';
import { page } from '../layout';

/** `rootUrl`: where this instance serves the root certificate its seal chains to (the test CA's), if it does. */
export function mountVerify(r: express.Router, o: { rootUrl?: string }): void {
  r.get('/verify', (req, res) => {
    const lang = pickLanguage(typeof req.query.lang === 'string' ? req.query.lang : undefined, req.headers['accept-language']);
    const title = t(lang, 'verify.title');
    const root = o.rootUrl ? html`<p><a href="${o.rootUrl}">${t(lang, 'verify.root')}</a></p>` : '';
    const main = html`<h1>${title}</h1>
<p class="lead">${t(lang, 'verify.body')}</p>
<p class="actions"><a class="button" href="/viewer?lang=${codeOf(lang)}">${t(lang, 'verify.viewer')}</a></p>
<p>${t(lang, 'verify.reader')}</p>
<p>${t(lang, 'verify.tools')}</p>
<pre>segl verify package.pdf --anchor root.pem
pdfsig package.pdf
pdfdetach -saveall package.pdf</pre>
${root}`;
    res
      .status(200)
      .set(SECURITY_HEADERS)
      .type('html')
      .send(page({ lang, title, main: String(main) }));
  });
}
