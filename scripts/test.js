#!/usr/bin/env node
'use strict';
// `npm test`: every suite, in two Jest workers (the CI machine has 2 cores, and most suites spend their
// time waiting on browsers, child processes and databases: in one process Jest took 2584 s on it, in two
// 1005 s), then, alone, the few suites whose assertions measure the machine as well as segl (the time a
// server keeps a request waiting, a process's memory, leases against paused and killed processes):
// beside another suite they measured the load. Arguments go to a single in-band run.
const { spawnSync } = require('node:child_process');

const ALONE = [
  'test/integration/deliveries-once.test.ts', // pauses and kills workers against 1 s leases
  'test/integration/multiprocess.test.ts', // 2 api + 2 worker processes, killed and restarted
  'test/integration/event-feed-memory.test.ts', // a child's resident memory while it streams
  'test/integration/logins.test.ts', // how long /healthz waits while large bodies parse
  'test/integration/portal-document.test.ts', // /healthz and memory while three 64 MB documents download
  'test/unit/sds-content.test.ts', // a 60 MB PDF checked within 500 ms and 20 MB
  'test/integration/viewer-hostile.test.ts', // 1 GiB uploads refused within 10 s and 200 MB; compression bombs
  'test/integration/blobstores.test.ts', // 200 MB through each blob store within 120 MB of resident growth
];

const jest = require.resolve('jest/bin/jest');
const run = (args) => spawnSync(process.execPath, [jest, ...args], { stdio: 'inherit' }).status ?? 1;
const literal = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const extra = process.argv.slice(2);
if (extra.length) process.exit(run(['--runInBand', ...extra]));
const pattern = ALONE.map(literal).join('|');
const both = run(['--maxWorkers=2', `--testPathIgnorePatterns=/node_modules/|${pattern}`]);
console.log(`\nnpm test: the ${ALONE.length} suites that run alone:\n  ${ALONE.join('\n  ')}`);
const alone = run(['--runInBand', `--testPathPatterns=${pattern}`]);
process.exit(both || alone);
