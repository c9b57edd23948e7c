// The depends-on graph of a request's tasks as a drawing (issue 15): an inline SVG the server draws, no
// script (the console's pages run none). Tasks stand in columns by how many tasks come before them
// (the longest chain of depends-on to reach them), an arrow runs from each task to every task that waits
// for it, and each box says the task's id and status in words as well as in colour. The same order is
// written out in the SVG's description for screen readers, beside the tasks' list on the page.
import { html, join, type Html } from '../portal/html';

export interface GraphTask {
  id: string;
  dependsOn: readonly string[];
  /** the status as a class (created, completed, rejected …) */
  status: string;
  /** the status in the reader's language */
  statusText: string;
}

/** Each task's column: 0 for a task that waits for none, else one more than the furthest task it waits for. */
export function columns(tasks: readonly GraphTask[]): Map<string, number> {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const col = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (id: string): number => {
    const known = col.get(id);
    if (known !== undefined) return known;
    // createRequest refuses cycles; a cycle here (data edited by hand) is cut rather than looped on
    if (visiting.has(id)) return 0;
    visiting.add(id);
    const deps = (byId.get(id)?.dependsOn ?? []).filter((d) => byId.has(d));
    const d = deps.length ? 1 + Math.max(...deps.map(depth)) : 0;
    visiting.delete(id);
    col.set(id, d);
    return d;
  };
  for (const t of tasks) depth(t.id);
  return col;
}

const BOX_W = 150;
const BOX_H = 44;
const GAP_X = 56;
const GAP_Y = 18;
const PAD = 8;
const FILL: Record<string, string> = {
  created: '#e8f0fe',
  completed: '#e6f4ea',
  rejected: '#fce8e6',
  expired: '#f1f3f4',
  deleted: '#f1f3f4',
  failed: '#fce8e6',
};
const short = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * The drawing, or nothing for a request of one task. `title` names the figure; `waitsFor(a, b)` words
 * "a waits for b" in the reader's language for the description.
 */
export function dependencyGraph(tasks: readonly GraphTask[], title: string, waitsFor: (task: string, list: string) => string): Html | '' {
  if (tasks.length < 2) return '';
  const col = columns(tasks);
  const rows = new Map<number, number>();
  const at = new Map<string, { x: number; y: number }>();
  for (const t of tasks) {
    const c = col.get(t.id)!;
    const r = rows.get(c) ?? 0;
    rows.set(c, r + 1);
    at.set(t.id, { x: PAD + c * (BOX_W + GAP_X), y: PAD + r * (BOX_H + GAP_Y) });
  }
  const width = PAD * 2 + (Math.max(...col.values()) + 1) * (BOX_W + GAP_X) - GAP_X;
  const height = PAD * 2 + Math.max(...rows.values()) * (BOX_H + GAP_Y) - GAP_Y;
  const edges = tasks.flatMap((t) =>
    t.dependsOn
      .filter((d) => at.has(d))
      .map((d) => {
        const a = at.get(d)!;
        const b = at.get(t.id)!;
        const [x1, y1, x2, y2] = [a.x + BOX_W, a.y + BOX_H / 2, b.x - 3, b.y + BOX_H / 2];
        const mx = (x1 + x2) / 2;
        return html`<path d="M${x1} ${y1} C${mx} ${y1} ${mx} ${y2} ${x2} ${y2}" fill="none" stroke="#5f6368" stroke-width="1.5" marker-end="url(#depgraph-arrow)"/>`;
      }),
  );
  const boxes = tasks.map((t) => {
    const { x, y } = at.get(t.id)!;
    return html`<g><title>${t.id}: ${t.statusText}</title><rect x="${x}" y="${y}" width="${BOX_W}" height="${BOX_H}" rx="6" fill="${FILL[t.status] ?? '#ffffff'}" stroke="#3c4043"/>
<text x="${x + 10}" y="${y + 18}" font-size="13" font-weight="bold" fill="#202124">${short(t.id, 20)}</text>
<text x="${x + 10}" y="${y + 35}" font-size="12" fill="#3c4043">${short(t.statusText, 22)}</text></g>`;
  });
  const description = tasks
    .filter((t) => t.dependsOn.length)
    .map((t) => waitsFor(t.id, t.dependsOn.join(', ')))
    .join('. ');
  return html`<figure class="depgraph"><svg class="depgraph" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="depgraph-title depgraph-desc" xmlns="http://www.w3.org/2000/svg">
<title id="depgraph-title">${title}</title><desc id="depgraph-desc">${description}</desc>
<defs><marker id="depgraph-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#5f6368"/></marker></defs>
${join(edges)}${join(boxes)}</svg><figcaption>${title}</figcaption></figure>`;
}
