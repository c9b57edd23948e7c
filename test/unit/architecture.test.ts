// The folder table of docs/architecture.md is the map of src/: this suite reads that table (not a copy of it) and
// checks it against the tree. Every folder it names must exist; every first-level folder of src/ must be named;
// and where the table names subfolders of a folder, it must name all of them.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, posix } from 'node:path';

const root = join(__dirname, '..', '..');

/** The first column of each row of the table under "## Folders", e.g. "src/core/". */
export function folderTable(markdown: string): string[] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Folders'));
  if (!section) throw new Error('docs/architecture.md has no "## Folders" section');
  const folders: string[] = [];
  for (const line of section.split('\n')) {
    const m = /^\|\s*`([^`]+)`\s*\|/.exec(line);
    if (m) folders.push(m[1].endsWith('/') ? m[1] : m[1] + '/');
  }
  return folders;
}

function subfolders(dir: string): string[] {
  const abs = join(root, dir);
  return readdirSync(abs)
    .filter((name) => !name.startsWith('.') && statSync(join(abs, name)).isDirectory())
    .map((name) => posix.join(dir, name) + '/')
    .sort();
}

describe('docs/architecture.md lists the folders of src/', () => {
  const listed = folderTable(readFileSync(join(root, 'docs', 'architecture.md'), 'utf8'));

  it('the table is found and names src/ folders', () => {
    expect(listed.filter((f) => f.startsWith('src/')).length).toBeGreaterThan(5);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('every listed folder exists', () => {
    const missing = listed.filter((f) => !existsSync(join(root, f)) || !statSync(join(root, f)).isDirectory());
    expect(missing).toEqual([]);
  });

  it('every first-level folder of src/ is listed', () => {
    expect(subfolders('src').filter((f) => !listed.includes(f))).toEqual([]);
  });

  it('where subfolders of a folder are listed, all of them are', () => {
    const parents = new Set(listed.map((f) => posix.dirname(f.slice(0, -1)) + '/').filter((p) => listed.includes(p)));
    const unlisted = [...parents].flatMap((p) => subfolders(p).filter((f) => !listed.includes(f)));
    expect(unlisted).toEqual([]);
  });

  it('the parser reads rows, not prose', () => {
    const md =
      '# x\n\n## Folders\n\n| Folder | What |\n| --- | --- |\n| `src/a/` | A |\n| `src/a/b` | B |\ntext `src/c/`\n\n## Other\n| `src/d/` | D |\n';
    expect(folderTable(md)).toEqual(['src/a/', 'src/a/b/']);
  });
});
