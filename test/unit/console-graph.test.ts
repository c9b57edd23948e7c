// The console's depends-on drawing (src/console/graph.ts): the columns follow the longest chain of
// depends-on, a cycle (never accepted by createRequest, but data can be edited) does not hang it, and the
// SVG is well-formed for xmllint with hostile task ids escaped.
import { execFileSync } from 'node:child_process';
import { columns, dependencyGraph, type GraphTask } from '../../src/console/graph';

const task = (id: string, dependsOn: string[] = [], status = 'created'): GraphTask => ({ id, dependsOn, status, statusText: status });
const draw = (tasks: GraphTask[]) => String(dependencyGraph(tasks, 'Order of signing', (t, l) => `${t} waits for ${l}`));

describe('depends-on graph', () => {
  test('a task stands one column after the furthest task it waits for', () => {
    const c = columns([task('seller'), task('buyer', ['seller']), task('bank', ['buyer', 'seller']), task('witness')]);
    expect(Object.fromEntries(c)).toEqual({ seller: 0, buyer: 1, bank: 2, witness: 0 });
  });

  test('unknown dependencies are ignored and a cycle is cut, not looped on', () => {
    expect(Object.fromEntries(columns([task('a', ['ghost'])]))).toEqual({ a: 0 });
    const c = columns([task('a', ['b']), task('b', ['a'])]);
    expect([...c.keys()].sort()).toEqual(['a', 'b']);
  });

  test('one task draws nothing; several draw one box each, arrows for each dependency, the order in words', () => {
    expect(draw([task('only')])).toBe('');
    const svg = draw([task('seller', [], 'completed'), task('buyer', ['seller']), task('bank', ['buyer'])]);
    expect(svg.match(/<rect /g)).toHaveLength(3);
    expect(svg.match(/marker-end=/g)).toHaveLength(2);
    expect(svg).toContain('<desc id="depgraph-desc">buyer waits for seller. bank waits for buyer</desc>');
    // the buyer's box stands right of the seller's
    const x = (id: string) => Number(new RegExp(`<title>${id}: [^<]*</title><rect x="(\\d+)"`).exec(svg)![1]);
    expect(x('buyer')).toBeGreaterThan(x('seller'));
    expect(x('bank')).toBeGreaterThan(x('buyer'));
  });

  test('the SVG is well-formed XML for xmllint, with hostile ids escaped', () => {
    const svg = draw([task('a<b>&"c"'), task("d'e", ['a<b>&"c"'])]);
    expect(svg).not.toContain('<b>');
    const figure = svg.replace(/^<figure[^>]*>/, '').replace(/<figcaption>.*$/s, '');
    expect(() => execFileSync('xmllint', ['--noout', '-'], { input: figure, stdio: ['pipe', 'pipe', 'pipe'] })).not.toThrow();
    expect(() =>
      execFileSync('xmllint', ['--noout', '-'], { input: figure.replace('</svg>', ''), stdio: ['pipe', 'pipe', 'pipe'] }),
    ).toThrow();
  });
});
