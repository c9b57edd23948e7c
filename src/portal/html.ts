// An auto-escaping HTML template: html`<p>${text}</p>` escapes every interpolated value (element content and
// quoted attribute values alike, via src/util/escape.ts) unless it is already markup: an Html built by html``,
// join() or raw(). Arrays are joined without a separator, each item escaped unless it is Html;
// null, undefined and false give nothing, so `${cond && html`...`}` works.
import { escapeHtml } from '../util/escape';

/** Markup that is already safe: inserted into another template as it is. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** A value a template may interpolate. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(v: HtmlValue): string {
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(v);
}

/** The tagged template: literal parts kept, interpolated values escaped unless they are Html. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Trusted markup inserted as it is (only for strings segl built itself, never for input). */
export const raw = (s: string): Html => new Html(s);

/** The items (each escaped unless Html) joined by `sep` (itself escaped unless Html). */
export function join(items: readonly HtmlValue[], sep: HtmlValue = ''): Html {
  return new Html(items.map(render).join(render(sep)));
}
