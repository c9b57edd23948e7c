// InkSign (issue 16 part 2, `method/@handwritten`): the drawing pad's form and the server's check of what it
// sends. The pad (static/inkpad.js) posts the strokes as JSON (coordinates normalised to 0..1 of the pad,
// time offsets in ms, pressure 0..1 when the device gives it), the pad rendered as a PNG (base64) and the
// device (pointer type, screen size; the user agent is the request's). Everything is checked here before
// anything is kept: bounded sizes and counts, a real PNG whose image data decodes to its stated dimensions,
// and at least one stroke. Refusals name a translated text key.
import express from 'express';
import { pngSize } from '../content/png';
import { HANDWRITING_LIMITS, type Handwriting } from '../core/signer';
import { t, type TextKey } from './i18n';
import { html, type Html } from './html';

/** Largest drawing accepted: the PNG's bytes and the strokes' JSON together. */
export const INK_MAX_BYTES = HANDWRITING_LIMITS.pngBytes;
/** The form body's parser limit (base64 and URL encoding of INK_MAX_BYTES, with room). */
export const INK_BODY_LIMIT = '1mb';
export const INK_MAX_STROKES = 200;
export const INK_MAX_POINTS = 10_000;
export const INK_MAX_SIDE = HANDWRITING_LIMITS.pixels;
const MAX_TIME_MS = 60 * 60_000;
const POINTER_TYPES = new Set(['mouse', 'touch', 'pen']);
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const SCREEN = /^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$/;

export type InkCheck = { ok: true; ink: Handwriting } | { ok: false; why: Extract<TextKey, `ink.${string}`> };

const unit = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;

/** The strokes' JSON as the pad sends it, checked point by point; undefined when any part is off. */
function parseStrokes(json: string): Handwriting['strokes'] | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!Array.isArray(raw) || raw.length > INK_MAX_STROKES) return undefined;
  let total = 0;
  const strokes: Handwriting['strokes'] = [];
  for (const s of raw as unknown[]) {
    const { pointerType, points } = (s ?? {}) as { pointerType?: unknown; points?: unknown };
    if (typeof pointerType !== 'string' || !POINTER_TYPES.has(pointerType) || !Array.isArray(points) || !points.length) return undefined;
    total += points.length;
    if (total > INK_MAX_POINTS) return undefined;
    const out: Handwriting['strokes'][number]['points'] = [];
    for (const p of points as unknown[]) {
      if (!Array.isArray(p) || p.length < 3 || p.length > 4) return undefined;
      const [x, y, tm, pr] = p as unknown[];
      if (!unit(x) || !unit(y) || typeof tm !== 'number' || !Number.isInteger(tm) || tm < 0 || tm > MAX_TIME_MS) return undefined;
      if (pr !== undefined && !unit(pr)) return undefined;
      out.push(pr === undefined ? { x, y, t: tm } : { x, y, t: tm, p: pr });
    }
    strokes.push({ pointerType, points: out });
  }
  return strokes;
}

/** The pad's form fields and the request's user agent, checked; the drawing or why it is refused. */
export function checkInk(body: Record<string, unknown>, userAgent: string | undefined): InkCheck {
  const field = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '');
  const strokesJson = field('strokes');
  const png64 = field('png');
  if (!strokesJson || strokesJson === '[]') return { ok: false, why: 'ink.empty' };
  if (strokesJson.length + (png64.length * 3) / 4 > INK_MAX_BYTES) return { ok: false, why: 'ink.tooLarge' };
  const strokes = parseStrokes(strokesJson);
  if (!strokes) return { ok: false, why: 'ink.invalid' };
  if (!strokes.length) return { ok: false, why: 'ink.empty' };
  if (!B64.test(png64)) return { ok: false, why: 'ink.invalid' };
  const png = Buffer.from(png64, 'base64');
  const size = pngSize(png, INK_MAX_SIDE);
  const pointerType = field('pointer');
  const screen = field('screen');
  if (!size || !POINTER_TYPES.has(pointerType) || !SCREEN.test(screen)) return { ok: false, why: 'ink.invalid' };
  const ua = (userAgent ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 512) || 'unknown';
  return { ok: true, ink: { strokes, png: new Uint8Array(png), ...size, device: { userAgent: ua, pointerType, screen } } };
}

/** The drawing as the session keeps it between the pad and the eID's last step (JSON: the PNG as base64). */
export type StoredInk = Omit<Handwriting, 'png'> & { png: string };
export const storeInk = (h: Handwriting): StoredInk => ({ ...h, png: Buffer.from(h.png).toString('base64') });
export const loadInk = (s: StoredInk): Handwriting => ({ ...s, png: new Uint8Array(Buffer.from(s.png, 'base64')) });

/** What the pad page needs of its page: language, the form's action and hidden fields; `submit`: the button's text (Next). */
export interface InkView {
  lang: Parameters<typeof t>[0];
  action: string;
  hidden: Html;
  submit?: TextKey;
}

const inkForm = express.urlencoded({ extended: false, limit: INK_BODY_LIMIT, parameterLimit: 200 });

/**
 * The pad's form parser. A body over the limit is read off and marked, to be answered as a refused drawing
 * (inkTooLarge; the parser's own error page is not translated).
 */
export const inkBody: express.RequestHandler = (req, res, go) =>
  inkForm(req, res, (err?: unknown) => (((req as { inkTooLarge?: boolean }).inkTooLarge = err !== undefined), go()));
export const inkTooLarge = (req: express.Request): boolean => (req as { inkTooLarge?: boolean }).inkTooLarge === true;

/** The drawing pad: label and instructions, the canvas, Undo / Clear (buttons), Next and Cancel; the script draws. */
export function inkPad(v: InkView, notice?: Html): Html {
  const l = v.lang;
  const buttons = html`<div class="actions"><button type="button" class="button secondary" id="ink-undo">${t(l, 'ink.undo')}</button><button type="button" class="button secondary" id="ink-clear">${t(l, 'ink.clear')}</button></div>`;
  const fields = html`<input type="hidden" name="strokes" id="ink-strokes" value=""><input type="hidden" name="png" id="ink-png" value=""><input type="hidden" name="pointer" id="ink-pointer" value=""><input type="hidden" name="screen" id="ink-screen" value="">`;
  const next = html`<div class="actions"><button class="button" name="do" value="next">${t(l, v.submit ?? 'ink.next')}</button><button class="button secondary" name="do" value="cancel" formnovalidate>${t(l, 'login.cancel')}</button></div>`;
  return html`${notice}<h3 id="ink-title">${t(l, 'ink.title')}</h3><p id="ink-help">${t(l, 'ink.help')}</p><noscript><p class="status warn">${t(l, 'ink.noScript')}</p></noscript><form method="post" id="ink-form" action="${v.action}">${v.hidden}${fields}<div class="inkpad"><canvas id="ink-pad" role="img" aria-label="${t(l, 'ink.pad')}" aria-describedby="ink-help"></canvas></div>${buttons}${next}</form><script src="/portal/static/inkpad.js" defer></script>`;
}
