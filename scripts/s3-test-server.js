#!/usr/bin/env node
'use strict';
// An S3-compatible server for the tests, the bench and trying SEGL_BLOBS=s3 by hand: s3rver (a dev
// dependency) with one bucket. Prints {"port": N} on its first line when it listens.
//   node scripts/s3-test-server.js [--port 4568] [--dir /tmp/segl-s3] [--bucket segl-test]
// Access key id and secret: S3RVER / S3RVER. Use path-style URLs (SEGL_S3_FORCE_PATH_STYLE=1).
const os = require('node:os');
const path = require('node:path');
const S3rver = require('s3rver');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const server = new S3rver({
  address: '127.0.0.1',
  port: Number(arg('port', '0')),
  silent: true,
  directory: arg('dir', path.join(os.tmpdir(), 'segl-s3')),
  configureBuckets: [{ name: arg('bucket', 'segl-test') }],
});
server.run().then(
  (a) => process.stdout.write(`${JSON.stringify({ port: a.port })}\n`),
  (e) => {
    process.stderr.write(`s3rver did not start: ${e.message}\n`);
    process.exit(1);
  },
);
