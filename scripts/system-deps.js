#!/usr/bin/env node
'use strict';
// Checks the Debian packages/commands the test suite needs and installs the
// missing ones with apt-get (when running as root). Runs as `pretest`.
// Set SEGL_SKIP_SYSTEM_DEPS=1 to skip the check.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

function onPath(cmd) {
  return (process.env.PATH || '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir || '.', cmd), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
function runsOk(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 60000 });
  return r.status === 0;
}

// [what we check, Debian package, check function]
const DEPS = [
  ['/usr/bin/chromium', 'chromium', () => fs.existsSync('/usr/bin/chromium')],
  ['xmlsec1', 'xmlsec1', () => onPath('xmlsec1')],
  ['pdfsig', 'poppler-utils', () => onPath('pdfsig')],
  ['certutil', 'libnss3-tools', () => onPath('certutil')],
  ['qpdf', 'qpdf', () => onPath('qpdf')],
  ['xmllint', 'libxml2-utils', () => onPath('xmllint')],
  ['python3 zeep', 'python3-zeep', () => runsOk('/usr/bin/python3', ['-c', 'import zeep'])],
  // test/interop/jaxws.test.ts: wsimport and the JAX-WS RI runtime (jaxws), compiled with javac;
  // on Debian 12 javac comes from openjdk-17-jdk-headless (`dpkg -S` of javac's real path).
  ['wsimport', 'jaxws', () => onPath('wsimport') && fs.existsSync('/usr/share/java/jaxws-rt.jar')],
  ['javac', 'openjdk-17-jdk-headless', () => onPath('javac')],
  // test/interop/php.test.ts: PHP's SoapClient
  ['php', 'php-cli', () => onPath('php')],
  ['php soap', 'php-soap', () => runsOk('php', ['-r', 'exit(extension_loaded("soap") ? 0 : 1);'])],
  ['redis-server', 'redis-server', () => onPath('redis-server')],
  // test/integration/service-seals.test.ts: a seal key in a PKCS#11 token (SoftHSM2), signed through OpenSC's pkcs11-tool
  ['softhsm2-util', 'softhsm2', () => onPath('softhsm2-util') && fs.existsSync('/usr/lib/softhsm/libsofthsm2.so')],
  ['pkcs11-tool', 'opensc', () => onPath('pkcs11-tool')],
  // test/unit/util-totp.test.ts: the console's TOTP codes checked against oath-toolkit's
  ['oathtool', 'oathtool', () => onPath('oathtool')],
  // test/interop/compose.test.ts validates docker-compose.yml; the `docker compose`
  // v2 plugin also satisfies it, Debian bookworm only ships v1 `docker-compose`.
  ['docker-compose', 'docker-compose', () => onPath('docker-compose') || (onPath('docker') && runsOk('docker', ['compose', 'version']))],
];

const missing = () => DEPS.filter(([, , ok]) => !ok());
const names = (deps) => deps.map(([what, pkg]) => `${what} (${pkg})`).join(', ');

if (process.env.SEGL_SKIP_SYSTEM_DEPS === '1') {
  console.log('system-deps: SEGL_SKIP_SYSTEM_DEPS=1, skipping the system package check');
  process.exit(0);
}

let todo = missing();
if (todo.length === 0) {
  console.log(`system-deps: all present (${DEPS.map(([what]) => what).join(', ')})`);
  process.exit(0);
}

const pkgs = [...new Set(todo.map(([, pkg]) => pkg))];
const installCmd = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
console.log(`system-deps: missing: ${names(todo)}`);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot || !onPath('apt-get')) {
  console.error(`system-deps: cannot install them here (${isRoot ? 'no apt-get' : 'not root'}). Run:\n  sudo sh -c '${installCmd}'`);
  process.exit(1);
}

console.log(`system-deps: installing with apt-get: ${pkgs.join(' ')}`);
// DPkg::Lock::Timeout makes apt wait for another running apt/dpkg instead of failing.
const lock = ['-o', 'DPkg::Lock::Timeout=900'];
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const aptGet = (args) => spawnSync('apt-get', [...lock, ...args], { stdio: 'inherit', env }).status === 0;
if (!aptGet(['update'])) console.error('system-deps: apt-get update failed; trying the install anyway');
aptGet(['install', '-y', '--no-install-recommends', ...pkgs]);

todo = missing();
if (todo.length > 0) {
  console.error(`system-deps: still missing after apt-get install: ${names(todo)}\n  try manually: ${installCmd}`);
  process.exit(1);
}
console.log(`system-deps: installed ${pkgs.join(' ')}; all present`);
