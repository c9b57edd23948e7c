// The repository is self-contained: a plain `git clone` with nothing beside it runs the suite.
// Signicat's reference WSDLs used to be read from ../shared/reference/signicat/; they are fixtures
// now (test/fixtures/reference/signicat/, with their provenance). Two checks keep it that way:
// - statically, every source file of the repository (src, test, bench, scripts, workers, bin, wsdl,
//   .ci and the root files) is searched for paths that leave the repository root: relative imports,
//   path.resolve/path.join chains from __dirname or a known root, '../' literals, hard-coded paths
//   beside the repository and any mention of the old ../shared folder;
// - dynamically, the reference-reading code runs under Jest in a copy of the repository that has
//   nothing beside it, with every fs call traced: nothing beside the copy may be touched.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..', '..');
const SELF = path.relative(ROOT, __filename);

// ---------------------------------------------------------------------------------------------
// The static check

/** Tracked and untracked-but-not-ignored files (a clone's content plus work in progress). */
function repoFiles(root: string): string[] {
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.split('\0').filter((f) => f && fs.existsSync(path.join(root, f)));
  } catch {
    // not a git checkout (an unpacked archive): walk it, leaving out what .gitignore leaves out
    const skip = new Set(['node_modules', 'dist', 'data', '.git', 'test-artifacts']);
    const walk = (dir: string): string[] =>
      fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
        const rel = dir ? `${dir}/${e.name}` : e.name;
        if (e.isDirectory()) return skip.has(e.name) || rel === 'bench/results' ? [] : walk(rel);
        return [rel];
      });
    return walk('');
  }
}

const CODE_DIRS = ['src/', 'test/', 'bench/', 'scripts/', 'workers/', 'bin/', 'wsdl/', '.ci/'];
const ROOT_FILES = ['Dockerfile', 'docker-compose.yml', 'package.json', 'tsconfig.json', 'tsconfig.build.json', '.dockerignore'];
const SCRIPT_EXT = /\.(?:ts|js|cjs|mjs)$/;

/** Files whose content is code or configuration; fixtures are inputs (hostile XML, Signicat's WSDLs), not readers. */
function codeFiles(root: string): string[] {
  return repoFiles(root).filter(
    (f) =>
      (ROOT_FILES.includes(f) || CODE_DIRS.some((d) => f.startsWith(d))) &&
      !f.startsWith('test/fixtures/') &&
      !/\.(?:md|txt|png|jpe?g|gif|ico|pdf|p12|der|woff2?)$/i.test(f),
  );
}

/**
 * Where __dirname points at run time for a file: test, scripts and bin files run from the source;
 * src and workers run from the source under Jest and from dist/ when built; bench runs from dist/
 * only (`npm run bench`). A path must stay inside the root for every place its file runs from.
 */
function dirnames(root: string, file: string): string[] {
  const dir = path.join(root, path.dirname(file));
  const dist = path.join(root, 'dist', path.dirname(file));
  if (file.startsWith('bench/')) return [dist];
  if (file.startsWith('src/') || file.startsWith('workers/')) return [dir, dist];
  return [dir];
}

type Values = (string | null)[]; // one value per dirname candidate; null: not known statically

interface Scan {
  violations: string[];
  exports: Map<string, Values>;
}

const isInside = (root: string, p: string) => p === root || p.startsWith(root + path.sep);
const LITERAL = /^(?:'([^'\\]*)'|"([^"\\]*)"|`([^`$\\]*)`)$/;

/** Splits an argument list at top-level commas. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  let quote = '';
  for (const ch of s) {
    if (quote) {
      cur += ch;
      if (ch === quote) quote = '';
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') {
      quote = ch;
      cur += ch;
      continue;
    }
    if ('[{'.includes(ch)) depth++;
    if (']}'.includes(ch)) depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/**
 * Scans one file's text. `lookup` gives the exported path constants of another repository file
 * (for `import { REPO } from '../support/soap'`). Pure apart from `lookup`, so it can be tested
 * on sample text below.
 */
function scanText(root: string, file: string, text: string, lookup: (file: string) => Map<string, Values> = () => new Map()): Scan {
  const violations: string[] = [];
  const exports = new Map<string, Values>();
  // packageRoot() and process.cwd() are the repository root (npm runs everything from there);
  // the replacements keep every newline, so line numbers are those of the file.
  const code = text.replace(/\bpackageRoot\(\)/g, '__ROOT__').replace(/\bprocess\.cwd\(\)/g, '__CWD__');
  const where = (index: number, of = code) => `${file}:${of.slice(0, index).split('\n').length}`;
  const cands = dirnames(root, file);
  const fileDir = path.join(root, path.dirname(file));
  const beside = path.dirname(root) + path.sep;

  // Any mention of the folder the reference WSDLs used to be read from.
  for (const m of text.matchAll(/\.\.[/\\]+shared\b|\bshared[/\\]+reference\b|['"]shared['"]\s*,\s*['"]reference['"]/g)) {
    violations.push(`${where(m.index, text)}: names the old ../shared reference folder (${m[0]})`);
  }
  // Hard-coded absolute paths beside the repository (e.g. /work/shared/...).
  for (const m of text.matchAll(/['"`](\/[^'"`\s]*)/g)) {
    const p = m[1]!;
    if (p.startsWith(beside) && !isInside(root, path.normalize(p)))
      violations.push(`${where(m.index, text)}: hard-coded path outside the repository (${p})`);
  }

  if (!SCRIPT_EXT.test(file)) {
    // Shell, YAML, JSON, Dockerfile, Python, PHP, Java: a '../' at the start of a path token climbs
    // out of the working directory (the repository root for npm scripts and the CI).
    for (const m of text.matchAll(/(?:^|[\s'"=:(,])(\.\.[/\\])/gm))
      violations.push(`${where(m.index, text)}: relative path '../' climbs out of the working directory`);
    return { violations, exports };
  }

  const consumed: Array<[number, number]> = [];
  const names = new Map<string, Values>();

  // Relative module specifiers must resolve inside the root.
  const specifiers = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1/g,
    /\bimport\s*(['"])([^'"]+)\1/g,
    /\b(?:require|import|jest\.mock|jest\.requireActual|require\.resolve)\s*\(\s*(['"])([^'"]+)\1/g,
  ];
  for (const re of specifiers) {
    for (const m of code.matchAll(re)) {
      const spec = m[2]!;
      consumed.push([m.index, m.index + m[0].length]);
      if (!spec.startsWith('.')) continue;
      const target = path.resolve(fileDir, spec);
      if (!isInside(root, target)) violations.push(`${where(m.index)}: module '${spec}' resolves outside the repository`);
    }
  }
  // Constants imported from other repository files (only relative, only named imports).
  for (const m of code.matchAll(/\bimport\s*(?:type\s+)?\{([^}]*)\}\s*from\s*(['"])(\.[^'"]+)\2/g)) {
    const base = path.relative(root, path.resolve(fileDir, m[3]!));
    const target = [`${base}.ts`, `${base}.js`, `${base}/index.ts`].find((f) => fs.existsSync(path.join(root, f)));
    if (!target) continue;
    const theirs = lookup(target);
    for (const part of m[1]!.split(',')) {
      const [orig, alias] = part
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/);
      const v = orig && theirs.get(orig);
      if (v)
        names.set(
          (alias ?? orig)!,
          cands.map(() => (v.every((x) => x === v[0]) ? v[0]! : null)),
        );
    }
  }

  /** Values of one path expression per candidate __dirname; reports the steps that leave the root. */
  const evaluate = (kind: 'resolve' | 'join', args: string[], at: number): Values =>
    cands.map((dirname) => {
      let cur: string | null = null;
      for (let i = 0; i < args.length; i++) {
        const a = args[i]!;
        const lit = LITERAL.exec(a);
        let value: string | null;
        if (lit) value = lit[1] ?? lit[2] ?? lit[3]!;
        else if (a === '__dirname') value = dirname;
        else if (a === '__ROOT__' || a === '__CWD__') value = root;
        else if (names.has(a)) value = names.get(a)![cands.indexOf(dirname)] ?? null;
        else value = null;
        if (value === null) {
          cur = null;
          continue;
        }
        const absolute = path.isAbsolute(value);
        if (absolute && (kind === 'resolve' || i === 0)) {
          cur = value;
          continue;
        } // a fresh start, not a climb
        if (i === 0)
          cur = path.resolve(root, value); // relative to the working directory: the root
        else if (cur !== null) cur = path.join(cur, value);
        if (cur !== null && !isInside(root, cur)) {
          violations.push(
            `${where(at)}: path.${kind}(${args.join(', ')}) leaves the repository${cands.length > 1 ? ` (from ${path.relative(root, dirname) || '.'})` : ''}`,
          );
          return null;
        }
      }
      return cur;
    });

  // Path constants, in file order, so later expressions can use earlier names.
  const call = /(?:\bpath\.(?:posix\.)?|(?<![\w.$]))(resolve|join)\s*\(([^()]*)\)/g;
  const decl = /\b(export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::\s*string\s*)?=\s*([^;\n]+)/g;
  const decls = [...code.matchAll(decl)].map((m) => ({ index: m.index, exported: !!m[1], name: m[2]!, rhs: m[3]!.trim() }));
  for (const d of decls) {
    if (d.rhs !== '__dirname' && d.rhs !== '__ROOT__') continue;
    const v = cands.map((c) => (d.rhs === '__dirname' ? c : root));
    names.set(d.name, v);
    if (d.exported) exports.set(d.name, v);
  }
  for (const m of code.matchAll(call)) {
    consumed.push([m.index, m.index + m[0].length]);
    const values = evaluate(m[1] as 'resolve' | 'join', splitArgs(m[2]!), m.index);
    const d = decls.find((x) => x.index < m.index && code.indexOf(x.rhs, x.index) === m.index);
    if (d && d.rhs === m[0]) {
      names.set(d.name, values);
      if (d.exported) exports.set(d.name, values);
    }
  }
  // Any other literal starting with '../' is a path relative to the working directory (the root).
  for (const m of code.matchAll(/(['"`])\.\.[/\\][^'"`]*\1/g)) {
    if (consumed.some(([a, b]) => m.index >= a && m.index < b)) continue;
    violations.push(`${where(m.index)}: literal ${m[0]} climbs out of the working directory`);
  }
  return { violations, exports };
}

/** Scans every code file of a repository; resolves imported constants across files. */
function scanRepository(root: string): string[] {
  const cache = new Map<string, Scan>();
  const visiting = new Set<string>();
  const scan = (file: string): Scan => {
    const done = cache.get(file);
    if (done) return done;
    if (visiting.has(file)) return { violations: [], exports: new Map() };
    visiting.add(file);
    const result = scanText(root, file, fs.readFileSync(path.join(root, file), 'utf8'), (f) => scan(f).exports);
    visiting.delete(file);
    cache.set(file, result);
    return result;
  };
  // This file is left out: its samples below are violations on purpose.
  return codeFiles(root)
    .filter((f) => f !== SELF)
    .flatMap((f) => scan(f).violations);
}

describe('static: no path leaves the repository root', () => {
  test('the scan covers the code directories', () => {
    const files = codeFiles(ROOT);
    for (const f of [
      'src/runtime.ts',
      'test/support/soap.ts',
      'test/interop/zeep.test.ts',
      'test/interop/jaxws.test.ts',
      'bench/run.ts',
      'scripts/system-deps.js',
      'bin/segl.js',
      'wsdl/documentservice-v3.wsdl',
      'package.json',
    ]) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => f.startsWith('test/fixtures/'))).toEqual([]);
  });

  test('no source file reaches outside the repository', () => {
    expect(scanRepository(ROOT)).toEqual([]);
  });

  // The scanner must be able to fail: the lines that made a plain clone fail, and their cousins.
  const up = '..';
  const samples: Array<[string, string, RegExp]> = [
    [
      'test/support/soap.ts',
      `export const REPO = path.resolve(__dirname, '${up}', '${up}');\nexport const REFERENCE_WSDL = path.resolve(REPO, '${up}', 'sha' + 'red', 'x.wsdl');`,
      /soap\.ts:2: path\.resolve\(REPO, '\.\.'/,
    ],
    [
      'test/interop/zeep.test.ts',
      `const repoRoot = path.resolve(__dirname, '${up}', '${up}');\nconst WSDL = path.resolve(repoRoot, '${up}/elsewhere/x.wsdl');`,
      /zeep\.test\.ts:2: path\.resolve\(repoRoot/,
    ],
    [
      'test/interop/x.test.ts',
      `import { REPO } from '../support/soap';\nconst W = path.join(REPO, '${up}', 'x.wsdl');`,
      /x\.test\.ts:2: path\.join\(REPO/,
    ],
    ['test/interop/y.test.ts', `const f = readFileSync('${up}/${up}/${up}/x.wsdl');`, /y\.test\.ts:1: literal/],
    ['test/interop/z.test.ts', `import x from '${up}/${up}/${up}/elsewhere/x';`, /z\.test\.ts:1: module/],
    ['src/soap/a.ts', `const d = path.join(__dirname, '${up}', '${up}', '${up}', 'x');`, /a\.ts:1: path\.join.*\(from src\/soap\)/],
    ['bench/b.ts', `const d = path.resolve(__dirname, '${up}', '${up}', '${up}');`, /b\.ts:1: path\.resolve/],
    ['src/x.ts', `import { a } from './y';\n\nconst d = path.join(packageRoot(), '${up}', 'elsewhere');`, /x\.ts:3: path\.join\(__ROOT__/],
    ['test/c.test.ts', `const d = '${path.dirname(ROOT)}/other/x.wsdl';`, /c\.test\.ts:1: hard-coded path outside/],
    ['test/interop/d.py', `wsdl = os.path.join(here, '${up}/${up}/${up}/x.wsdl')`, /d\.py:1: relative path/],
    ['test/e.test.ts', `const w = 'x/${up}/sha${'red'}/reference/a.wsdl';`, /e\.test\.ts:1: names the old/],
  ];
  test.each(samples)('the scanner reports %s', (file, text, expected) => {
    const lookup = (f: string) => (f === 'test/support/soap.ts' ? scanText(ROOT, f, samples[0]![1]).exports : new Map<string, Values>());
    const found = scanText(ROOT, file, text, lookup).violations;
    expect(found.join('\n')).toMatch(expected);
  });

  test('the scanner accepts the in-repository forms', () => {
    const ok = [
      [
        'test/support/soap.ts',
        `export const REPO = path.resolve(__dirname, '${up}', '${up}');\nexport const W = path.join(REPO, 'test', 'fixtures', 'x.wsdl');`,
      ],
      ['bench/run.ts', `const RESULTS = path.resolve(__dirname, '${up}', '${up}', 'bench', 'results');`],
      ['bin/segl.js', `const main = path.join(__dirname, '${up}', 'dist', 'src', 'main.js');`],
      ['src/runtime.ts', `import { x } from '${up}/workers/timers';\nexport const WSDL_DIR = path.join(packageRoot(), 'wsdl');`],
      ['test/unit/t.test.ts', `await fs.writeFile(path.join(store, '${up}', 'leaf.pem'), pem);`],
    ];
    for (const [file, text] of ok) expect(scanText(ROOT, file!, text!).violations).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The reference fixtures are Signicat's files, unchanged

describe('the reference WSDL fixtures', () => {
  const dir = path.join(ROOT, 'test', 'fixtures', 'reference', 'signicat');
  test.each([
    ['documentservice-v3.wsdl', '492b23e2e57b4c0f2d229dd3d464f67e5094ac2e1589eecd57ab86329da0ecf4'],
    ['packagingservice-v4.wsdl', 'b49ca019b51fe341760699cbcafd05860e90b2f0c8bf6ba0047b8ce50d8c5210'],
  ])('%s has the sha256 its provenance note records', (name, sha) => {
    const note = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    expect(note).toContain(sha);
    expect(
      createHash('sha256')
        .update(fs.readFileSync(path.join(dir, name)))
        .digest('hex'),
    ).toBe(sha);
  });
});

// ---------------------------------------------------------------------------------------------
// The dynamic check: a copy with nothing beside it, every fs call traced

// Preloaded into the copy's Jest: records every fs path beside the copy (inside its parent
// directory but outside the copy), then lets the call go on unchanged.
const TRACER = String.raw`
const fs = require('node:fs');
const path = require('node:path');
const { fileURLToPath } = require('node:url');
const root = process.env.SEGL_PROBE_ROOT;
const parent = path.dirname(root);
const log = process.env.SEGL_PROBE_TRACE;
const append = fs.appendFileSync;
function note(fn, p) {
  let s;
  try {
    s = typeof p === 'string' ? p : p instanceof URL ? fileURLToPath(p) : Buffer.isBuffer(p) ? p.toString() : null;
  } catch { s = null; }
  if (s === null) return;
  const abs = path.resolve(s);
  const inside = (dir) => abs === dir || abs.startsWith(dir + path.sep);
  if (inside(parent) && !inside(root)) append(log, fn + ' ' + abs + '\n');
}
const names = ['readFile', 'readFileSync', 'open', 'openSync', 'createReadStream', 'stat', 'statSync', 'lstat', 'lstatSync',
  'exists', 'existsSync', 'access', 'accessSync', 'readdir', 'readdirSync', 'opendir', 'opendirSync', 'realpath', 'realpathSync'];
for (const n of names) {
  const orig = fs[n];
  if (typeof orig !== 'function') continue;
  const traced = function (p, ...rest) { note(n, p); return orig.call(this, p, ...rest); };
  Object.assign(traced, orig);
  fs[n] = traced;
}
for (const n of ['readFile', 'open', 'stat', 'lstat', 'access', 'readdir', 'opendir', 'realpath']) {
  const orig = fs.promises[n];
  fs.promises[n] = function (p, ...rest) { note('promises.' + n, p); return orig.call(this, p, ...rest); };
}
`;

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { ...opts, timeout: 150_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}\n${stderr}` });
    });
  });
}

describe('dynamic: a copy of the repository with nothing beside it', () => {
  const outer = fs.mkdtempSync(path.join(os.tmpdir(), 'segl-clone-'));
  const copy = path.join(outer, 'segl');
  const tools = fs.mkdtempSync(path.join(os.tmpdir(), 'segl-probe-'));
  afterAll(() => {
    fs.rmSync(outer, { recursive: true, force: true });
    fs.rmSync(tools, { recursive: true, force: true });
  });

  test('runs the reference-reading code and touches nothing beside the copy', async () => {
    for (const f of repoFiles(ROOT)) {
      fs.mkdirSync(path.join(copy, path.dirname(f)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, f), path.join(copy, f));
    }
    // npm install would put node_modules inside the clone; a link to ours stands in for it
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
    expect(fs.readdirSync(outer)).toEqual(['segl']);

    const tracer = path.join(tools, 'trace.cjs');
    const trace = path.join(tools, 'trace.log');
    fs.writeFileSync(tracer, TRACER);
    fs.writeFileSync(trace, '');
    const pkg = JSON.parse(fs.readFileSync(path.join(copy, 'package.json'), 'utf8')) as { jest: { transform: unknown } };
    const config = {
      rootDir: copy,
      testEnvironment: 'node',
      transform: pkg.jest.transform,
      testMatch: ['<rootDir>/test/integration/self-contained.probe.ts'],
      cacheDirectory: path.join(tools, 'jest-cache'),
    };
    const { NODE_OPTIONS: _drop, ...env } = process.env;
    const r = await run(
      process.execPath,
      [
        path.join(copy, 'node_modules', 'jest', 'bin', 'jest.js'),
        '--runInBand',
        '--ci',
        '--no-watchman',
        '--config',
        JSON.stringify(config),
      ],
      {
        cwd: copy,
        env: { ...env, NODE_OPTIONS: `--require ${tracer}`, SEGL_PROBE_ROOT: copy, SEGL_PROBE_TRACE: trace },
      },
    );
    if (r.code !== 0) throw new Error(`Jest in the copy failed (exit ${r.code}):\n${r.out}`);
    expect(r.out).toMatch(/Tests:\s+3 passed, 3 total/);
    expect(fs.readFileSync(trace, 'utf8').split('\n').filter(Boolean)).toEqual([]);

    // Control: the tracer does see a look beside the copy (so the empty trace above means something).
    const control = path.join(tools, 'control.log');
    fs.writeFileSync(control, '');
    const beside = path.join(outer, 'shared', 'reference', 'signicat', 'documentservice-v3.wsdl');
    const c = await run(process.execPath, ['-e', `require('node:fs').existsSync(${JSON.stringify(beside)})`], {
      cwd: copy,
      env: { ...env, NODE_OPTIONS: `--require ${tracer}`, SEGL_PROBE_ROOT: copy, SEGL_PROBE_TRACE: control },
    });
    expect(c.code).toBe(0);
    expect(fs.readFileSync(control, 'utf8')).toBe(`existsSync ${beside}\n`);
  });
});
