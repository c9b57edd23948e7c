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
    const sheet = document.createElement('div');
    sheet.className = 'pdf-page';
    sheet.dataset.view = p.view.join(',');
    sheet.appendChild(canvas);
    box.appendChild(sheet);
    await p.render({ canvasContext: canvas.getContext('2d'), canvas, viewport }).promise;
  }
  box.dataset.pages = String(doc.numPages);
}

// An interactive form's controls (pages/form.ts, data-widget="page,x,y,w,h" in PDF points) are moved over
// their widgets on the drawn pages; they stay in the form (form="docform") and keep their labels (for=).
function overlay(box) {
  const sheets = box.querySelectorAll('.pdf-page');
  for (const el of document.querySelectorAll('[data-widget]')) {
    const [page, x, y, w, h] = el.dataset.widget.split(',').map(Number);
    const sheet = sheets[page];
    if (!sheet) continue;
    const [x0, y0, x1, y1] = sheet.dataset.view.split(',').map(Number);
    const spot = document.createElement('div');
    spot.className = 'pdf-field';
    spot.style.left = `${((x - x0) / (x1 - x0)) * 100}%`;
    spot.style.top = `${((y1 - y - h) / (y1 - y0)) * 100}%`;
    spot.style.width = `${(w / (x1 - x0)) * 100}%`;
    spot.style.height = `${(h / (y1 - y0)) * 100}%`;
    spot.appendChild(el);
    sheet.appendChild(spot);
  }
  box.dataset.overlaid = 'true';
}

const box = document.getElementById('pdf');
if (box && box.dataset.src) {
  await draw(box, { url: box.dataset.src });
  if (document.getElementById('docform')) overlay(box);
}
for (const el of document.querySelectorAll('[data-pdf-from]')) {
  const b64 = (document.getElementById(el.dataset.pdfFrom)?.textContent ?? '').trim();
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  await draw(el, { data: bytes });
}
