// The browser side of the document page: pdf.js (served from node_modules) draws each page of the
// PDF on a canvas. Without JavaScript the download link below it still works.
import * as pdfjs from '/portal/static/pdfjs/build/pdf.min.mjs';
pdfjs.GlobalWorkerOptions.workerSrc = '/portal/static/pdfjs/build/pdf.worker.min.mjs';
const box = document.getElementById('pdf');
if (box) {
  const label = box.dataset.pageLabel || 'Page {n} of {total}';
  const doc = await pdfjs.getDocument({
    url: box.dataset.src,
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
