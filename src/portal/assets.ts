// The portal's static files (src/portal/static/): its stylesheet and the PDF viewer's script. They are read once,
// at start, from the package root (the directory with segl's package.json), so the same path serves from src/
// under ts-jest and from dist/src/ after the build (which copies no non-TS files; the Dockerfile copies
// src/portal/static into the runtime image).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type express from 'express';
import { packageRoot } from '../version';

export const STATIC_DIR = path.join(packageRoot(), 'src', 'portal', 'static');

const load = (name: string): string => readFileSync(path.join(STATIC_DIR, name), 'utf8');

/** The portal's stylesheet (colours from CSS variables, which a graphical profile's stylesheet overrides). */
export const PORTAL_CSS: string = load('portal.css');
/** The document page's script: pdf.js draws each page of the PDF on a canvas. */
export const PDF_VIEWER_JS: string = load('viewer.js');
/** The "signed, being sealed" page's script: asks how the sealing stands and shows the outcome in place. */
const SEALING_JS: string = load('sealing.js');
/** The InkSign drawing pad's script (src/portal/ink.ts): Pointer Events on a canvas, strokes kept normalised. */
const INKPAD_JS: string = load('inkpad.js');

/** Serves /portal/static/portal.css, viewer.js and sealing.js (headers as before: an hour's cache, nosniff). */
export function mountAssets(r: express.Router): void {
  r.get('/portal/static/portal.css', (_req, res) => {
    res.set({ 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' }).type('text/css').send(PORTAL_CSS);
  });
  r.get('/portal/static/viewer.js', (_req, res) => {
    res.set({ 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' }).type('text/javascript').send(PDF_VIEWER_JS);
  });
  r.get('/portal/static/sealing.js', (_req, res) => {
    res.set({ 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' }).type('text/javascript').send(SEALING_JS);
  });
  r.get('/portal/static/inkpad.js', (_req, res) => {
    res.set({ 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' }).type('text/javascript').send(INKPAD_JS);
  });
}
