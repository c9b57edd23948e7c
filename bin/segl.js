#!/usr/bin/env node
// The segl CLI. Runs the build in dist/ (made by `npm install`'s prepare step or `npm run build`).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const main = path.join(__dirname, '..', 'dist', 'src', 'main.js');
if (!fs.existsSync(main)) {
  process.stderr.write('segl: dist/ is missing; run `npm run build` (npm install does it too)\n');
  process.exit(1);
}
require(main)
  .cli()
  .parseAsync(process.argv)
  .catch((e) => {
    process.stderr.write(`segl: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
