// A relying party logs a person in through segl's SAML 1.1 authentication service, in headless
// Chromium. The relying party is written here from the reference (authentication.md §1.3 and §3),
// not from segl's code: an express app that sends the browser to /std/method/{service}, receives the
// POST (SAMLResponse + TARGET), verifies the XMLDSig with xml-crypto against the certificate segl
// publishes (pinned, KeyInfo ignored; the reference must point at the Response's ResponseID), then
// checks Status = Success, the 30 s Conditions window, Recipient = its own URL, exactly one
// Assertion, and keeps a replay cache of ResponseIDs. With JavaScript on the answer goes by itself;
// with JavaScript off the person presses the button.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { DOMParser } from '@xmldom/xmldom';
import express from 'express';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SignedXml } from 'xml-crypto';
import { AuthnRepository } from '../../src/store/authn';
import { startServer, type TestServer } from '../support/server';
import { CHROMIUM_ARGS } from '../support/chromium';

jest.setTimeout(180_000);

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
/** No axe-core violations on the page (the portal's pages are held to this too). */
async function axe(tab: Page, name: string): Promise<void> {
  await tab.evaluate(AXE);
  const violations = await tab.evaluate<string[]>(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => v.id))",
  );
  expect([name, violations]).toEqual([name, []]);
}
const P = 'urn:oasis:names:tc:SAML:1.0:protocol';
const A = 'urn:oasis:names:tc:SAML:1.0:assertion';
const DS = 'http://www.w3.org/2000/09/xmldsig#';

/** What the relying party concluded from one POST. */
interface Verdict {
  ok: boolean;
  reason?: string;
  nameId?: string;
  attributes?: Record<string, string>;
  status?: string;
}

/** The relying party: its own verifier, from the reference only. */
function relyingParty(certPem: () => string, callbackUrl: () => string) {
  const seen = new Set<string>();
  const verdicts: Verdict[] = [];
  const verify = (b64: string): Verdict => {
    const xml = Buffer.from(b64, 'base64').toString('utf8');
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const root = doc.documentElement!;
    if (root.namespaceURI !== P || root.localName !== 'Response') return { ok: false, reason: 'not a SAML 1.1 Response' };
    const sigs = doc.getElementsByTagNameNS(DS, 'Signature');
    if (sigs.length !== 1 || sigs[0]!.parentNode !== root) return { ok: false, reason: 'one enveloped signature expected' };
    const responseId = root.getAttribute('ResponseID') ?? '';
    const sx = new SignedXml({ publicCert: certPem(), idAttribute: 'ResponseID' });
    sx.loadSignature(sigs[0] as never);
    let valid = false;
    try {
      valid = sx.checkSignature(xml);
    } catch {
      valid = false;
    }
    if (!valid) return { ok: false, reason: 'bad signature' };
    const refs = doc.getElementsByTagNameNS(DS, 'Reference');
    if (refs.length !== 1 || refs[0]!.getAttribute('URI') !== `#${responseId}`)
      return { ok: false, reason: 'the signature does not cover the Response' };
    if (root.getAttribute('Recipient') !== callbackUrl()) return { ok: false, reason: 'wrong Recipient' };
    if (seen.has(responseId)) return { ok: false, reason: 'replayed' };
    seen.add(responseId);
    const code = doc.getElementsByTagNameNS(P, 'StatusCode')[0]?.getAttribute('Value');
    if (code !== 'samlp:Success') {
      return { ok: false, reason: 'not success', status: doc.getElementsByTagNameNS(P, 'StatusMessage')[0]?.textContent ?? code ?? '' };
    }
    const assertions = doc.getElementsByTagNameNS(A, 'Assertion');
    if (assertions.length !== 1) return { ok: false, reason: 'exactly one Assertion expected' };
    const cond = doc.getElementsByTagNameNS(A, 'Conditions')[0]!;
    const notBefore = Date.parse(cond.getAttribute('NotBefore')!);
    const notOnOrAfter = Date.parse(cond.getAttribute('NotOnOrAfter')!);
    const now = Date.now();
    if (!(notBefore - 5000 <= now && now < notOnOrAfter) || notOnOrAfter - notBefore > 30_000)
      return { ok: false, reason: 'outside the window' };
    const attributes: Record<string, string> = {};
    for (const a of Array.from(doc.getElementsByTagNameNS(A, 'Attribute'))) {
      attributes[`${a.getAttribute('AttributeNamespace')}:${a.getAttribute('AttributeName')}`] =
        a.getElementsByTagNameNS(A, 'AttributeValue')[0]?.textContent ?? '';
    }
    return { ok: true, nameId: doc.getElementsByTagNameNS(A, 'NameIdentifier')[0]?.textContent ?? '', attributes };
  };
  const app = express();
  app.post('/auth/verify', express.urlencoded({ extended: false, limit: '1mb' }), (req, res) => {
    const body = req.body as { SAMLResponse?: string; TARGET?: string };
    const v = verify(body.SAMLResponse ?? '');
    verdicts.push(v);
    res
      .status(v.ok ? 200 : 403)
      .type('html')
      .send(
        v.ok ? `<h1>Welcome ${v.attributes!['signicat:plain-name']}</h1><p id="nameid">${v.nameId}</p>` : `<h1>Refused: ${v.reason}</h1>`,
      );
  });
  return { app, verdicts, verify };
}

describe('a relying party logs in with segl’s SAML 1.1 service (Chromium)', () => {
  let s: TestServer;
  let rpServer: Server;
  let rpUrl = '';
  let cert = '';
  let browser: Browser;
  let rp: ReturnType<typeof relyingParty>;
  const password = 'pw-rpuser-123';
  let alias = '';

  beforeAll(async () => {
    s = await startServer('sqlite');
    rp = relyingParty(
      () => cert,
      () => `${rpUrl}/auth/verify`,
    );
    rpServer = await new Promise<Server>((resolve) => {
      const srv = rp.app.listen(0, '127.0.0.1', () => resolve(srv));
    });
    rpUrl = `http://127.0.0.1:${(rpServer.address() as { port: number }).port}`;
    cert = await (await fetch(`${s.url}/std/saml-certificate.pem`)).text();
    const demo = (await s.rt.services.find('demo'))!;
    await new AuthnRepository(s.rt.db).setTargets(demo.id, [`${rpUrl}/auth/`], new Date().toISOString());
    const user = await s.rt.testid!.createUser({ ...s.rt.testid!.autofill(), alias: 'rpuser', password });
    alias = user.alias;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => rpServer?.close(r));
    await s?.stop();
  });

  const codeFor = async (keyNumber: string) => {
    for (const card of await s.rt.testid!.keyCards(alias))
      for (const c of card.codes) if (c.keyNumber === keyNumber && !c.used) return c.code;
    throw new Error(`no code ${keyNumber}`);
  };

  /** From the relying party's link through the test eID; returns at the CPR step. */
  async function logIn(tab: Page, checkA11y = true): Promise<void> {
    await tab.goto(`${s.url}/std/method/demo?id=nemid::en&target=${encodeURIComponent(`${rpUrl}/auth/verify`)}`);
    if (checkA11y) await axe(tab, 'login');
    await tab.fill('#user', alias);
    await tab.fill('#password', password);
    await tab.click('button[value=next]');
    const keyNumber = /key number (\d+)/.exec(await tab.locator('main').innerText())![1]!;
    await tab.fill('#code', await codeFor(keyNumber));
    await tab.click('button[value=next]');
    await tab.locator('#cpr').waitFor();
    if (checkA11y) await axe(tab, 'cpr');
  }

  it('with JavaScript on: the Response goes to the relying party by itself and is accepted; a replay is refused', async () => {
    const ctx = await browser.newContext();
    const tab = await ctx.newPage();
    const posted = tab.waitForRequest((r) => r.url() === `${rpUrl}/auth/verify` && r.method() === 'POST');
    await logIn(tab);
    const user = (await s.rt.testid!.user(alias))!;
    await tab.fill('#cpr', user.cpr);
    await tab.click('button[value=next]');
    const req = await posted;
    await tab.waitForURL(`${rpUrl}/auth/verify`);
    expect(await tab.locator('h1').innerText()).toBe(`Welcome ${user.name}`);
    expect(await tab.locator('#nameid').innerText()).toBe(user.cpr);
    const last = rp.verdicts.at(-1)!;
    expect(last).toMatchObject({ ok: true, nameId: user.cpr });
    expect(last.attributes!['national-id:dk.cpr']).toBe(user.cpr);
    const form = new URLSearchParams(req.postData()!);
    expect(form.get('TARGET')).toBe(`${rpUrl}/auth/verify`);
    // the same Response again: the relying party's replay cache refuses it
    const again = await fetch(`${rpUrl}/auth/verify`, { method: 'POST', body: form });
    expect(again.status).toBe(403);
    expect(await again.text()).toContain('replayed');
    await ctx.close();
  });

  it('with JavaScript off: the page shows a button that POSTs the Response', async () => {
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const tab = await ctx.newPage();
    await logIn(tab, false); // (axe needs JavaScript)
    await tab.click('button[value=skip]');
    const button = tab.locator('#samlpost button');
    await button.waitFor();
    expect(tab.url()).toContain(`${s.url}/std/login/demo/cpr`);
    await button.click();
    await tab.waitForURL(`${rpUrl}/auth/verify`);
    const user = (await s.rt.testid!.user(alias))!;
    expect(await tab.locator('h1').innerText()).toBe(`Welcome ${user.name}`);
    expect(await tab.locator('#nameid').innerText()).toBe(user.pid);
    expect(rp.verdicts.at(-1)!.attributes!['national-id:dk.cpr']).toBeUndefined();
    await ctx.close();
  });

  it('cancel: the relying party receives a signed Responder answer with usercancel', async () => {
    const ctx = await browser.newContext();
    const tab = await ctx.newPage();
    await tab.goto(`${s.url}/std/method/demo?id=nemid&target=${encodeURIComponent(`${rpUrl}/auth/verify`)}`);
    await tab.click('button[value=cancel]');
    await tab.waitForURL(`${rpUrl}/auth/verify`);
    expect(rp.verdicts.at(-1)).toMatchObject({
      ok: false,
      reason: 'not success',
      status: 'urn:signicat:error:usercancel; The process was aborted by the end user',
    });
    await ctx.close();
  });

  it('a target not on the allowlist: an error page in the browser, nothing posted', async () => {
    const ctx = await browser.newContext();
    const tab = await ctx.newPage();
    const before = rp.verdicts.length;
    const r = await tab.goto(`${s.url}/std/method/demo?id=nemid::da&target=${encodeURIComponent(`${rpUrl}/evil`)}`);
    expect(r!.status()).toBe(400);
    expect(await tab.locator('h1').innerText()).toBe('Dette login kan ikke starte');
    expect(rp.verdicts.length).toBe(before);
    await ctx.close();
  });
});
