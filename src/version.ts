// segl's own package root and version, found from src/ (ts tooling) and dist/src/ (the build) alike.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json')) || !readFileSync(path.join(dir, 'package.json'), 'utf8').includes('"name": "segl"')) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`segl's package.json not found above ${__dirname}`);
    dir = up;
  }
  return dir;
}

export const SEGL_VERSION: string = (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string })
  .version;
