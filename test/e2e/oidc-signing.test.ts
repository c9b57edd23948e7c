// Authentication-based signature with the generic OIDC eID method, end to end in headless Chromium
// against segl's own test IdP (/testidp/{dialect}): the task logs in with the method, and Sign starts a
// fresh login whose nonce commits to the task, the sign text and the documents; the worker seals the
// act; the LTV-SDO carries the ID token, the JWKS and the discovery document, and segl's offline
// verifier (and `segl verify`) recheck them. Outside checks: openssl verifies the ID token's RS256
// signature with the key from the stored JWKS, and xmlsec1 the package's seal. Damaged evidence fails;
// another person, a cancel and a replayed callback sign nothing.
import { execFile } from 'node:child_process';
import { createHash, createPublicKey, type JsonWebKey } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestUser } from '../../src/eid/testid/users';
import { checkAuthenticationEvidence } from '../../src/signing/evidence';
import { describe as describeResult, verifyLtvSdo } from '../../src/signing/offline';
import { verifyPadesFile } from '../../src/signing/offlinepdf';
import { nodeSoapClient } from '../support/packaging';
import { parseDocument } from '../../src/trust/validation/xmldsig';
import { signingNonce } from '../../src/trust/oidc/nonce';
import { capturedLog } from '../support/p12';
import { addOidcMethod, atTestIdp, createOidcTask, testIdpMethod } from '../support/oidc';
import { CHROMIUM_ARGS, inNewContext } from '../support/chromium';
import { xmlsecEachSignature } from '../support/xmlsec';
import { sealRows } from '../support/sign';
import { startServer, type TestServer } from '../support/server';

const exec = promisify(execFile);
const REPO = path.resolve(__dirname, '../..');
const SIGNED = 'h1:text("Your signature has been received")';

describe('authentication-based signature with an OIDC eID method (sqlite, Chromium, test IdP)', () => {
  let s: TestServer;
  let browser: Browser;
  const users: Record<string, TestUser & { password: string }> = {};
  let logLines: string[] = [];
  const cprOf = (u: TestUser) => `${u.cpr.slice(0, 6)}-${u.cpr.slice(6)}`;
  const taskUrl = (requestId: string) => `${s.url}/std/docaction/demo?request_id=${requestId}&task_id=t1`;
  const history = async (requestId: string) =>
    (await s.rt.documents.requests.getRequestHistory((await s.rt.services.find('demo'))!, requestId, 't1')).map(
      (e) => `${e.event} ${e.data ?? ''}`,
    );

  const inNewBrowser = (f: (p: Page) => Promise<void>) => inNewContext(browser, f);

  const atBroker = (p: Page, alias: string) => atTestIdp(p, s.rt.testid!, alias, users[alias]!.password);

  /** Logged in for the task with the method, the document read, Send in: the OIDC sign page, which says how signing works. */
  async function toSignPage(p: Page, requestId: string, label: string, alias: string): Promise<void> {
    await p.goto(taskUrl(requestId));
    await p.getByRole('link', { name: `Continue to ${label}` }).click();
    await atBroker(p, alias);
    await p.waitForURL((u) => u.pathname === '/std/docaction/demo' && u.searchParams.get('request_id') === requestId);
    await p.getByRole('link', { name: 'Open Terms' }).click();
    await p.getByRole('link', { name: 'Back to the documents' }).click();
    await p.getByRole('button', { name: 'Sign and send in' }).click();
    expect(await p.locator('h1').innerText()).toBe('Sign the documents');
    expect(await p.locator('main').innerText()).toContain(`You sign by logging in with ${label}.`);
  }

  /** A task for anna that logs in and signs with `method`; its request id. */
  async function annasTask(method = 'mitid'): Promise<string> {
    const r = await createOidcTask(s.endpoint, s.demoPassword, { method, signature: method, nationalId: cprOf(users.anna!) });
    expect([r.requestId, r.text]).toEqual([expect.any(String), expect.anything()]);
    return r.requestId!;
  }

  /** Logged in as anna, the document read, Sign with `method`: at the broker's login page. */
  async function toBroker(p: Page, requestId: string, method = 'mitid'): Promise<void> {
    await toSignPage(p, requestId, `Broker ${method}`, 'anna');
    await p.getByRole('button', { name: `Sign with Broker ${method}` }).click();
  }

  async function packageOf(requestId: string): Promise<string> {
    const svc = (await s.rt.services.find('demo'))!;
    const doc = await s.rt.documents.requests.resultDocument(svc, requestId, 't1', 'terms');
    return Buffer.from(await s.rt.blobs.getBytes(doc.blobKey)).toString('utf8');
  }

  /**
   * PackagingService v4 makes a PAdES of the OIDC-signed task (its real maker): the cover names the person as the
   * broker did and the method, and the PAdES verifies with its attached LTV-SDO, evidence and all (pdftotext, segl).
   */
  async function packagedAsPades(requestId: string, name: string): Promise<void> {
    const call = await nodeSoapClient(`${s.url}/ws/packagingservice-v4`, { service: 'demo', password: s.demoPassword });
    const r = await call({ sdo: [{ 'order-document-id': { 'request-id': requestId, 'task-id': 't1', 'document-id': 'terms' } }] });
    if ('fault' in r) throw new Error(r.fault);
    expect(r.result.error).toBeUndefined();
    const got = await fetch(`${s.url}/doc/demo/sds/${r.result.id!}`, {
      headers: { authorization: `Basic ${Buffer.from(`demo:${s.demoPassword}`).toString('base64')}` },
    });
    expect([got.status, got.headers.get('content-type')]).toEqual([200, 'application/x-pades']);
    const pdf = new Uint8Array(await got.arrayBuffer());
    const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-oidc-pades-'));
    writeFileSync(path.join(dir, 'p.pdf'), pdf);
    const text = (await exec('pdftotext', ['-enc', 'UTF-8', path.join(dir, 'p.pdf'), '-'])).stdout;
    expect(text).toContain(name);
    expect(text).toContain('oidc:mitid');
    const v = await verifyPadesFile(pdf, [(await s.rt.ca()).pki.root.certificate]);
    expect([v.indication, v.attachments.map((a) => a.indication)]).toEqual(['TOTAL-PASSED', ['TOTAL-PASSED']]);
  }

  beforeAll(async () => {
    const captured = capturedLog('debug');
    logLines = captured.lines;
    // every line the runtime logs (the worker's too) is kept, to look for national ids
    s = await startServer('sqlite', { SEGL_RELAY_INTERVAL: '100ms' }, { worker: true, log: captured.log });
    for (const [name, dialect] of [
      ['mitid', 'eidhub'],
      ['legacy', 'signicat-legacy'],
    ] as const) {
      const use = ['authentication', 'authentication-based-signature'];
      await addOidcMethod(s.rt, 'demo', testIdpMethod(s.url, dialect, { name, label: `Broker ${name}`, use }));
    }
    for (const alias of ['anna', 'bodil']) {
      const password = `pw-${alias}-123`;
      users[alias] = { ...(await s.rt.testid!.createUser({ ...s.rt.testid!.autofill(), alias, password })), password };
    }
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it.each([
    ['mitid', 'eidhub'],
    ['legacy', 'signicat-legacy'],
  ])('signs with %s (%s dialect): the sealed LTV-SDO carries the ID token that commits to the act', async (method, dialect) => {
    const anna = users.anna!;
    const requestId = await annasTask(method);
    await inNewBrowser(async (p) => {
      await toBroker(p, requestId, method);
      // a fresh login at the broker (prompt=login), with the nonce the act computed
      const authorize = new URL(p.url());
      expect(authorize.pathname).toMatch(new RegExp(`^/testidp/${dialect}/`));
      await atBroker(p, 'anna');
      await p.waitForSelector(SIGNED, { timeout: 30_000 });
    });
    const xml = await packageOf(requestId);
    expect(xml).toContain(`<CertificateKind>oidc:${method}</CertificateKind>`);
    expect(xml).toContain(`<SignerName>${anna.name}</SignerName>`);
    expect(xml).toContain(`<SignerNationalId>`);
    // legacy Signicat puts the national id in userinfo: the package keeps that answer too (unsigned)
    expect(xml.includes('<UserInfo>')).toBe(dialect === 'signicat-legacy');

    const ca = await s.rt.ca();
    const offline = await verifyLtvSdo(xml, [ca.pki.root.certificate]);
    expect(offline.indication).toBe('TOTAL-PASSED');
    expect(offline.authentication?.checks.map((c) => [c.name, c.ok])).toEqual([
      ['oidc-discovery', true],
      ['oidc-id-token', true],
      ['oidc-time', true],
      ['oidc-nonce', true],
      ['oidc-act', true],
    ]);
    // the nonce in the broker-signed token is the commitment to this task, sign text and document
    const idToken = /<IdToken>([^<]+)</.exec(xml)![1]!;
    const claims = JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString()) as { nonce: string; iss: string };
    expect(claims.iss).toBe(`${s.url}/testidp/${dialect}`);
    const signText = 'I have read the documents listed below and agree to their content.';
    const sha = createHash('sha256').update('Interest 3 %').digest('base64');
    expect(claims.nonce).toBe(signingNonce({ taskId: 't1', signText, documents: [{ id: 'terms', sha256: sha }] }));
    expect(describeResult(offline)).toContain('authentication evidence (OpenID Connect): PASSED');
    if (dialect === 'eidhub') await packagedAsPades(requestId, anna.name);
    expect(await history(requestId)).toContainEqual(expect.stringMatching(/^document-signed terms: signed by the signer/));
  });

  it('is rechecked by outside tools, by `segl verify`, and damaged evidence fails', async () => {
    const requestId = await annasTask();
    await inNewBrowser(async (p) => {
      await toBroker(p, requestId);
      await atBroker(p, 'anna');
      await p.waitForSelector(SIGNED, { timeout: 30_000 });
    });
    const xml = await packageOf(requestId);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'segl-oidc-sign-'));
    const ca = await s.rt.ca();

    // openssl: the ID token's JWS signature (RS256, RFC 7518 §3.3) with the key the stored JWKS names by kid
    const idToken = /<IdToken>([^<]+)</.exec(xml)![1]!;
    const [h, pl, sig] = idToken.split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg: string; kid: string };
    expect(header.alg).toBe('RS256');
    const jwks = JSON.parse(Buffer.from(/<Jwks>([^<]+)</.exec(xml)![1]!, 'base64').toString()) as {
      keys: Array<JsonWebKey & { kid: string }>;
    };
    const jwk = jwks.keys.find((k) => k.kid === header.kid)!;
    writeFileSync(path.join(dir, 'broker.pem'), createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }));
    const opensslVerify = async (signed: string) => {
      writeFileSync(path.join(dir, 'signed'), signed);
      const args = [
        'dgst',
        '-sha256',
        '-verify',
        path.join(dir, 'broker.pem'),
        '-signature',
        path.join(dir, 'sig'),
        path.join(dir, 'signed'),
      ];
      return (await exec('openssl', args).catch((e: { stdout: string }) => e)).stdout.trim();
    };
    writeFileSync(path.join(dir, 'sig'), Buffer.from(sig, 'base64url'));
    expect(await opensslVerify(`${h}.${pl}`)).toBe('Verified OK');
    expect(await opensslVerify(`${h}.${pl}x`)).toBe('Verification failure');

    // xmlsec1: the platform's native signature over the act, and the seal over the whole package (the evidence included)
    const outs = await xmlsecEachSignature(dir, xml, ca.pem('root'), [ca.pem('serviceCa')]);
    expect(outs).toHaveLength(2);
    for (const out of outs) expect(out).toMatch(/^OK$/m);
    writeFileSync(path.join(dir, 'sdo.xml'), xml);
    writeFileSync(path.join(dir, 'root.pem'), ca.pem('root'));

    // `segl verify` (the built CLI) prints the evidence's checks
    const cli = await exec(
      process.execPath,
      [path.join(REPO, 'bin', 'segl.js'), 'verify', path.join(dir, 'sdo.xml'), '--anchor', path.join(dir, 'root.pem')],
      {
        env: { ...process.env, DATA_DIR: s.dataDir, LOG_LEVEL: 'silent' },
      },
    );
    expect(cli.stdout).toMatch(/^TOTAL-PASSED/);
    expect(cli.stdout).toContain('\nauthentication evidence (OpenID Connect): PASSED\n');
    expect(cli.stdout).toContain('  ok oidc-nonce: the nonce commits to the task, the sign text and the documents\n');

    // the evidence alone, damaged (the seal would fail too; here each check must fail on its own)
    const at = offlineTime(xml);
    const evidence = async (damaged: string) => {
      const r = await checkAuthenticationEvidence(parseDocument(damaged).documentElement!, at);
      return r!.checks.filter((c) => !c.ok).map((c) => c.name);
    };
    expect(await evidence(xml)).toEqual([]);
    expect(await evidence(xml.replace(/<SignText>[^<]*</, '<SignText>I agree to pay twice.<'))).toEqual(['oidc-nonce', 'oidc-act']);
    expect(
      await evidence(xml.replace(/(<Document Id="terms" Sha256=")[^"]+/, `$1${createHash('sha256').update('other').digest('base64')}`)),
    ).toEqual(['oidc-nonce', 'oidc-act']);
    const otherKey = Buffer.from(JSON.stringify({ keys: [{ ...jwk, n: Buffer.alloc(256, 7).toString('base64url') }] })).toString('base64');
    expect(await evidence(xml.replace(/<Jwks>[^<]+</, `<Jwks>${otherKey}<`))).toEqual(['oidc-id-token']);
    expect(await evidence(xml.replace(/<ClientId>[^<]+</, '<ClientId>someone-else<'))).toEqual(['oidc-id-token']);
    const flipped = `${h}.${pl}.${sig.slice(0, -4)}${sig.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    expect(await evidence(xml.replace(/<IdToken>[^<]+</, `<IdToken>${flipped}<`))).toEqual(['oidc-id-token']);
    // a token issued after the package's trusted time: not the login that made this act
    expect(await checkLate(xml, at)).toEqual(['oidc-time']);
  });

  it('refuses another person at the signing login (wrong-person) and signs nothing', async () => {
    const requestId = await annasTask();
    await inNewBrowser(async (p) => {
      await toBroker(p, requestId);
      await atBroker(p, 'bodil');
      await p.waitForURL((u) => u.pathname.endsWith('/oidc/callback'));
      expect(await p.locator('h1').innerText()).toBe('You cannot sign this task');
    });
    expect(await history(requestId)).toContain('user-authentication-cancelled eid-error=wrong-person: signing');
    expect(await sealRows(s.rt, requestId, 't1')).toEqual([]);
  });

  it('takes a cancel at the broker back with nothing signed, and refuses the callback replayed', async () => {
    const requestId = await annasTask();
    await inNewBrowser(async (p) => {
      await toBroker(p, requestId);
      await p.getByRole('button', { name: 'Cancel' }).click();
      await p.waitForURL((u) => u.pathname.endsWith('/oidc/callback'));
      expect(await p.locator('main p.lead').innerText()).toBe('Signing was cancelled. Nothing was signed.');
      expect(await history(requestId)).toContainEqual(expect.stringMatching(/^document-sign-cancelled eid-error=usercancel: /));
      // the same callback again: its state was taken
      const replay = await p.goto(p.url());
      expect(replay!.status()).toBe(400);
      expect(await p.locator('main').innerText()).toContain('The login took too long or was already used.');
      // the task is still open: Send in leads to the sign page again
      await p.goto(taskUrl(requestId));
      await p.getByRole('button', { name: 'Sign and send in' }).click();
      expect(await p.locator('h1').innerText()).toBe('Sign the documents');
    });
    expect(await sealRows(s.rt, requestId, 't1')).toEqual([]);
  });

  it('writes no national id to the log, though the evidence holds one', () => {
    expect(logLines.length).toBeGreaterThan(0);
    for (const u of Object.values(users)) {
      expect(logLines.filter((l) => l.includes(u.cpr) || l.includes(cprOf(u)))).toEqual([]);
    }
  });
});

/** The package's trusted signing time. */
function offlineTime(xml: string): Date {
  return new Date(/<TrustedSigningTime[^>]*><Time>([^<]+)</.exec(xml)![1]!);
}

/** The evidence checked as if the package had been time-stamped an hour before the token was issued. */
async function checkLate(xml: string, at: Date): Promise<string[]> {
  const r = await checkAuthenticationEvidence(parseDocument(xml).documentElement!, new Date(at.getTime() - 3_600_000));
  return r!.checks.filter((c) => !c.ok).map((c) => c.name);
}
