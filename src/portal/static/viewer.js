// The browser side of the document page and of the viewer's report: pdf.js (served from node_modules) draws
// each page of a PDF on a canvas. The document page names its PDF by URL (#pdf[data-src]); the viewer's report
// carries each signed PDF in the page itself ([data-pdf-from] names a data block holding its base64: the
// viewer keeps nothing to fetch later). Without JavaScript the page still says what each document is.
import * as pdfjs from '/portal/static/pdfjs/build/pdf.min.mjs';
pdfjs.GlobalWorkerOptions.workerSrc = '/portal/static/pdfjs/build/pdf.worker.min.mjs';

async function draw(box, source) {
  const label = box.dataset.pageLabel || 'Page {n} of {total}';
  const doc = await pdfjs.getDocument({
    ...source,
    isEvalSupported: false,
    standardFontDataUrl: '/portal/static/pdfjs/standard_fonts/',
    cMapUrl: '/portal/static/pdfjs/cmaps/',
    wasmUrl: '/portal/static/pdfjs/wasm/',
  }).promise;
  for (let n = 1; n <= doc.numPages; n++) {
    const p = await doc.getPage(n);
    const viewport = p.getViewport({ scale: 1.5 });
    const canvas = document.createElement('canvas');
    canvas.width = viewport.width;
    canvas.height = viewport.height;
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', label.replace('{n}', String(n)).replace('{total}', String(doc.numPages)));
    box.appendChild(canvas);
    await p.render({ canvasContext: canvas.getContext('2d'), canvas, viewport }).promise;
  }
  box.dataset.pages = String(doc.numPages);
}

const box = document.getElementById('pdf');
if (box && box.dataset.src) await draw(box, { url: box.dataset.src });
for (const el of document.querySelectorAll('[data-pdf-from]')) {
  const b64 = (document.getElementById(el.dataset.pdfFrom)?.textContent ?? '').trim();
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  await draw(el, { data: bytes });
}
