// A SAML 2.0 login end to end in headless Chromium: the SP is @node-saml/node-saml 5.1.0 in an express
// app on loopback (not written from segl's code), registered in segl from the metadata node-saml
// generates; its AuthnRequest goes to segl's /saml2/sso (HTTP-Redirect unsigned, HTTP-POST signed),
// the person logs in with the test eID on segl's login pages (the login core, src/eid/authn), and
// segl's Response is POSTed to the ACS, where node-saml validates it (signature with the certificate
// from segl's metadata, InResponseTo from its own request cache, audience, recipient, time) and the
// attributes come out. With JavaScript off the person presses the button; a cancel reaches the SP as
// a Responder status.
import type { Server } from 'node:http';
import express from 'express';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SAML, type SamlConfig } from '@node-saml/node-saml';
import { parseSpMetadata } from '../../src/trust/saml2/metadata';
import { SamlSpRepository } from '../../src/store/samlsps';
import { startServer, type TestServer } from '../support/server';
import { CHROMIUM_ARGS } from '../support/chromium';
import { idpCertOf, keyAndCert, nodeSamlConfig, PERSISTENT, testIdSteps } from '../support/saml2sp';

jest.setTimeout(180_000);

describe('a SAML 2.0 login with node-saml as SP (Chromium)', () => {
  let s: TestServer;
  let spServer: Server;
  let spUrl = '';
  let browser: Browser;
  const password = 'pw-saml2user-1';
  let alias = '';
  let firstNameId = '';
  const results: Array<{ ok: boolean; profile?: Record<string, unknown>; error?: string; relayState?: string }> = [];
  const sps: Record<string, SAML> = {};

  beforeAll(async () => {
    s = await startServer('sqlite');
    const app = express();
    spServer = await new Promise<Server>((resolve) => {
      const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
    });
    spUrl = `http://127.0.0.1:${(spServer.address() as { port: number }).port}`;
    const metadata = await (await fetch(`${s.url}/saml2/metadata`)).text();
    const idpCert = idpCertOf(metadata);
    const keys = await keyAndCert('sp.test');
    const config = (name: string, extra: Partial<SamlConfig>): SamlConfig => ({
      ...nodeSamlConfig(`${spUrl}/${name}/metadata`, `${spUrl}/${name}/acs`, `${s.url}/saml2/sso`, extra),
      idpCert,
    });
    sps.redirect = new SAML(config('redirect', {}));
    sps.post = new SAML(config('post', { authnRequestBinding: 'HTTP-POST', privateKey: keys.pem, skipRequestCompression: true }));
    const demo = (await s.rt.services.find('demo'))!;
    const repo = new SamlSpRepository(s.rt.db);
    for (const [name, sp] of Object.entries(sps)) {
      const md = sp.generateServiceProviderMetadata(null, name === 'post' ? keys.certPem : null);
      await repo.add(demo.id, parseSpMetadata(md), md, new Date().toISOString());
      app.get(`/${name}/login`, (_req, res, next) => {
        if (name === 'redirect') sp.getAuthorizeUrlAsync('state-1', undefined, {}).then((url) => res.redirect(url), next);
        else sp.getAuthorizeFormAsync('state-2').then((form) => res.type('html').send(form), next);
      });
      app.post(`/${name}/acs`, express.urlencoded({ extended: false, limit: '1mb' }), (req, res) => {
        const body = req.body as Record<string, string>;
        sp.validatePostResponseAsync(body).then(
          ({ profile }) => {
            results.push({ ok: true, profile: profile as unknown as Record<string, unknown>, relayState: body.RelayState });
            res.type('html').send(`<h1>Welcome ${String(profile!['common-name'])}</h1><p id="nameid">${profile!.nameID}</p>`);
          },
          (e: Error) => {
            results.push({ ok: false, error: e.message, relayState: body.RelayState });
            res.status(403).type('html').send(`<h1>Refused</h1><p id="error">${e.message}</p>`);
          },
        );
      });
    }
    const user = await s.rt.testid!.createUser({ ...s.rt.testid!.autofill(), alias: 'saml2user', password });
    alias = user.alias;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => spServer?.close(r));
    await s?.stop();
  });

  /** From the SP's login link through the test eID; returns at the CPR step. */
  async function logIn(tab: Page, sp: string): Promise<void> {
    await tab.goto(`${spUrl}/${sp}/login`);
    // without JavaScript node-saml's POST form waits for its button
    if (sp === 'post') await tab.click('input[type=submit]');
    await tab.locator('#user').waitFor();
    expect(tab.url()).toContain(`${s.url}/std/login/demo`);
    await testIdSteps(tab, s.rt.testid!, alias, password);
  }

  it('HTTP-Redirect, JavaScript on: node-saml accepts the Response; the national id is released after the CPR step', async () => {
    const ctx = await browser.newContext();
    const tab = await ctx.newPage();
    await logIn(tab, 'redirect');
    const user = (await s.rt.testid!.user(alias))!;
    await tab.fill('#cpr', user.cpr);
    await tab.click('button[value=next]');
    await tab.waitForURL(`${spUrl}/redirect/acs`);
    expect(await tab.locator('h1').innerText()).toBe(`Welcome ${user.name}`);
    // the persistent NameID: pairwise for this SP, never the PID (another SP gets another: below)
    const nameId = await tab.locator('#nameid').innerText();
    expect(nameId).toMatch(/^[\w-]{43}$/);
    expect(nameId).not.toBe(user.pid);
    firstNameId = nameId;
    expect(results.at(-1)).toMatchObject({
      ok: true,
      relayState: 'state-1',
      profile: {
        nameID: nameId,
        nameIDFormat: PERSISTENT,
        'national-identity': user.cpr,
        'national-identity-country': 'DK',
        'common-name': user.name,
      },
    });
    await ctx.close();
  });

  it('HTTP-POST signed, JavaScript off: the SP’s form and segl’s answer go by their buttons; no CPR released, the attribute is blank', async () => {
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const tab = await ctx.newPage();
    await logIn(tab, 'post');
    await tab.click('button[value=skip]');
    const button = tab.locator('#samlpost button');
    await button.waitFor();
    await button.click();
    await tab.waitForURL(`${spUrl}/post/acs`);
    const user = (await s.rt.testid!.user(alias))!;
    expect(await tab.locator('h1').innerText()).toBe(`Welcome ${user.name}`);
    const last = results.at(-1)!;
    expect(last).toMatchObject({ ok: true, relayState: 'state-2', profile: { 'common-name': user.name } });
    // another SP (its own entityID): another pairwise NameID for the same person
    expect(last.profile!.nameID).toMatch(/^[\w-]{43}$/);
    expect([firstNameId, user.pid]).not.toContain(last.profile!.nameID);
    expect(last.profile!['national-identity']).toBeFalsy();
    expect(Object.keys(last.profile!)).toContain('national-identity');
    await ctx.close();
  });

  it('cancel: the SP receives a Responder status and refuses the login', async () => {
    const ctx = await browser.newContext();
    const tab = await ctx.newPage();
    await tab.goto(`${spUrl}/redirect/login`);
    await tab.click('button[value=cancel]');
    await tab.waitForURL(`${spUrl}/redirect/acs`);
    expect(await tab.locator('h1').innerText()).toBe('Refused');
    expect(results.at(-1)).toMatchObject({ ok: false, relayState: 'state-1' });
    expect(results.at(-1)!.error).toMatch(/Responder/);
    await ctx.close();
  });
});
