// The console's settings (src/console/settings.ts) on each database with real Redis: the callback
// allowlist (checked as `segl service set` checks it), the webhook secret's rotation (shown once; the old
// one stops signing), a profile previewed (nothing saved) and then saved (the portal's stylesheet changes),
// a SAML service provider registered from pasted metadata and removed, an OpenID client removed; each
// recorded in console_audit. Refused and changing nothing: a viewer (403), no CSRF token (403), bad input (400).
import { OidcOpRepository } from '../../src/store/oidcop';
import { PackagingMethodRepository } from '../../src/store/packagingmethods';
import { makeTemplate } from '../support/packaging';
import { databases, startServer, type TestServer } from '../support/server';
import { consoleLogins } from '../support/console';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const metadata = (entityId: string, acs = 'https://sp.example/acs') =>
  `<?xml version="1.0"?>\n<md:EntityDescriptor xmlns:md="${MD}" entityID="${entityId}"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
  `<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${acs}" index="1"/></md:SPSSODescriptor></md:EntityDescriptor>`;

describe.each(databases())('console settings (%s)', (db) => {
  let s: TestServer;
  let demoId: number;
  const as: Record<'manager' | 'viewer', { cookie: string; csrf: string }> = {} as never;

  async function post(who: 'manager' | 'viewer', path: string, fields: Record<string, string> = {}, csrf = true) {
    const r = await fetch(`${s.url}/console/settings${path}?lang=en`, {
      method: 'POST',
      headers: { cookie: as[who].cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...(csrf ? { _csrf: as[who].csrf } : {}), ...fields }),
      redirect: 'manual',
    });
    return { status: r.status, location: r.headers.get('location'), text: await r.text() };
  }
  const get = async (path: string, who: 'manager' | 'viewer' = 'manager') => {
    const r = await fetch(`${s.url}${path}`, { headers: { cookie: as[who].cookie }, redirect: 'manual' });
    return { status: r.status, location: r.headers.get('location'), text: await r.text(), type: r.headers.get('content-type') };
  };
  const audited = async () =>
    (
      (await s.rt.db.query(
        `SELECT action, actor, detail FROM console_audit WHERE service_id = ${demoId} AND request_id = '' ORDER BY id`,
      )) as Array<{
        action: string;
        actor: string;
        detail: string;
      }>
    ).map((r) => [r.action, r.actor, r.detail]);

  beforeAll(async () => {
    s = await startServer(db);
    const demo = (await s.rt.services.find('demo'))!;
    demoId = demo.id;
    Object.assign(as, await consoleLogins(s));
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
  });

  test('a viewer is refused the settings; a POST without the token is refused; nothing changes', async () => {
    const before = await s.rt.services.settings('demo');
    expect((await get('/console/settings', 'viewer')).status).toBe(403);
    expect((await post('viewer', '/callbacks', { allow: 'hooks.example' })).status).toBe(403);
    expect((await post('manager', '/callbacks', { allow: 'hooks.example' }, false)).status).toBe(403);
    expect(await s.rt.services.settings('demo')).toEqual(before);
    expect(await audited()).toEqual([]);
  });

  test('the callback allowlist: saved as checked patterns; a bad pattern is refused naming it', async () => {
    const bad = await post('manager', '/callbacks', { allow: 'hooks.example\nhttp://nope/' });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/allow: .*nope/);
    expect(bad.text).toContain('Nothing was changed.');
    expect((await s.rt.services.settings('demo')).callbackAllow).toEqual([]);
    const ok = await post('manager', '/callbacks', { allow: 'hooks.example\n*.bank.example:8443\n10.0.0.0/8' });
    expect([ok.status, ok.location]).toEqual([303, '/console/settings?lang=en&done=callbacks#callbacks']);
    expect((await s.rt.services.settings('demo')).callbackAllow).toEqual(['hooks.example', '*.bank.example:8443', '10.0.0.0/8']);
    const page = await get('/console/settings?lang=en&done=callbacks');
    expect(page.text).toContain('hooks.example\n*.bank.example:8443\n10.0.0.0/8</textarea>');
    expect(page.text).toContain('Saved.');
  });

  test('the webhook secret: rotated only when confirmed, shown once, the old one gone', async () => {
    const old = (await s.rt.services.settings('demo')).webhookSecret;
    const page = await get('/console/settings?lang=en');
    expect(page.text).not.toContain(old);
    expect(page.text).toContain(`ends in …${old.slice(-4)}`);
    expect((await post('manager', '/webhook-secret')).status).toBe(400);
    expect((await s.rt.services.settings('demo')).webhookSecret).toBe(old);
    const r = await post('manager', '/webhook-secret', { confirm: 'yes' });
    const now = (await s.rt.services.settings('demo')).webhookSecret;
    expect(now).not.toBe(old);
    expect(r.status).toBe(200);
    expect(r.text).toContain(`<code>${now}</code>`);
    expect((await get('/console/settings?lang=en')).text).not.toContain(now);
  });

  test('a profile: the preview changes nothing; saved, the portal stylesheet carries the colours', async () => {
    const form = { displayName: 'Acme Bank', brand: '#123456', brandInk: '#ffffff', ink: '#222222' };
    const preview = await post('manager', '/profiles/default', { ...form, action: 'preview' });
    expect(preview.status).toBe(200);
    const css = /<link rel="stylesheet" href="([^"]+preview\.css[^"]+)">/.exec(preview.text)![1]!.replace(/&amp;/g, '&');
    const sheet = await get(css);
    expect(sheet.type).toMatch(/^text\/css/);
    expect(sheet.text).toContain('.preview { --brand: #123456; --brand-ink: #ffffff; --ink: #222222; }');
    expect(preview.text).toContain('<div class="preview">');
    expect(await s.rt.db.query('SELECT name FROM portal_profile')).toEqual([]);
    // bad colours refused, nothing saved
    const bad = await post('manager', '/profiles/default', { ...form, brand: 'red', action: 'save' });
    expect([bad.status, /brand: &quot;red&quot; is not a colour/.test(bad.text)]).toEqual([400, true]);
    expect((await post('manager', '/profiles/bad%20name', { ...form, action: 'save' })).status).toBe(400);
    expect(await s.rt.db.query('SELECT name FROM portal_profile')).toEqual([]);
    const saved = await post('manager', '/profiles/default', { ...form, action: 'save' });
    expect([saved.status, saved.location]).toEqual([303, '/console/settings?lang=en&done=profile#profiles']);
    const portalCss = await fetch(`${s.url}/portal/profile/demo/default.css`);
    expect(await portalCss.text()).toContain('--brand: #123456;');
    const edit = await get('/console/settings/profiles/default?lang=en');
    expect(edit.text).toContain('value="Acme Bank"');
    expect((await get('/console/settings/profile?name=default&lang=en')).location).toBe('/console/settings/profiles/default?lang=en');
  });

  test('a SAML service provider registered from pasted metadata and removed; bad metadata refused', async () => {
    const bad = await post('manager', '/saml', { metadata: '<md:EntityDescriptor xmlns:md="nope"/>' });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/metadata: /);
    const ok = await post('manager', '/saml', { metadata: metadata('https://sp.example/meta') });
    expect([ok.status, ok.location]).toEqual([303, '/console/settings?lang=en&done=saml#saml']);
    expect((await get('/console/settings?lang=en')).text).toContain('https://sp.example/acs');
    const again = await post('manager', '/saml', { metadata: metadata('https://sp.example/meta') });
    expect(again.status).toBe(400);
    expect((await post('manager', '/saml/remove', { entityId: 'https://sp.example/meta' })).status).toBe(303);
    expect((await post('manager', '/saml/remove', { entityId: 'https://sp.example/meta' })).status).toBe(400);
    expect((await get('/console/settings?lang=en')).text).not.toContain('https://sp.example/acs');
  });

  test('an OpenID client of this service is listed and removed; another service’s is not touched', async () => {
    const repo = new OidcOpRepository(s.rt.db, s.rt.config.secret!);
    const other = await s.rt.services.create('other', 'other-password-1');
    const base = {
      redirectUris: ['https://app.example/cb'],
      public: true,
      tokenAuth: 'client_secret_basic' as const,
      createdAt: new Date().toISOString(),
    };
    await repo.addClient({ ...base, clientId: 'demo-web', serviceId: demoId, name: 'web' });
    await repo.addClient({ ...base, clientId: 'other-web', serviceId: other.id, name: 'theirs' });
    const page = await get('/console/settings?lang=en');
    expect(page.text).toContain('demo-web');
    expect(page.text).not.toContain('other-web');
    expect((await post('manager', '/oidc/remove', { clientId: 'other-web' })).status).toBe(400);
    expect(await repo.findClient('other-web')).toBeDefined();
    expect((await post('manager', '/oidc/remove', { clientId: 'demo-web' })).status).toBe(303);
    expect(await repo.findClient('demo-web')).toBeUndefined();
  });

  test('an OpenID client registered from the console: its secret shown once and sealed at rest; bad redirect URIs refused', async () => {
    const repo = new OidcOpRepository(s.rt.db, s.rt.config.secret!);
    const before = (await repo.clients(demoId)).length;
    const bad = await post('manager', '/oidc', { name: 'web', redirectUris: 'http://app.example/cb', kind: 'client_secret_basic' });
    expect([bad.status, bad.text.includes('http://app.example/cb: must be https')]).toEqual([400, true]);
    expect((await post('manager', '/oidc', { name: 'web', redirectUris: '', kind: 'public' })).status).toBe(400);
    expect((await repo.clients(demoId)).length).toBe(before);
    const ok = await post('manager', '/oidc', {
      name: 'Web shop',
      redirectUris: 'https://shop.example/cb\nhttp://127.0.0.1:8080/cb',
      kind: 'client_secret_post',
    });
    expect(ok.status).toBe(200);
    const clientId = /<dt>client_id<\/dt><dd><code>([^<]+)</.exec(ok.text)![1]!;
    const secret = /<dt>client_secret<\/dt><dd><code>([^<]+)</.exec(ok.text)![1]!;
    expect(await repo.findClient(clientId)).toMatchObject({
      name: 'Web shop',
      tokenAuth: 'client_secret_post',
      secret,
      redirectUris: ['https://shop.example/cb', 'http://127.0.0.1:8080/cb'],
    });
    expect(JSON.stringify(await s.rt.db.query('SELECT * FROM oidc_op_client'))).not.toContain(secret);
    expect((await get('/console/settings?lang=en')).text).not.toContain(secret);
    const pub = await post('manager', '/oidc', { redirectUris: 'https://spa.example/cb', kind: 'public' });
    expect(pub.text).not.toContain('client_secret');
    expect((await post('manager', '/oidc/remove', { clientId })).status).toBe(303);
  });

  test('a packaging method with a cover template uploaded from the browser; kept when not sent again; bad ones refused', async () => {
    const template = await makeTemplate(['package.id', 'service.name']);
    const multipart = async (fields: Record<string, string>, file?: Uint8Array) => {
      const form = new FormData();
      form.set('_csrf', as.manager.csrf);
      for (const [k, v] of Object.entries(fields)) form.set(k, v);
      if (file) form.set('template', new Blob([file], { type: 'application/pdf' }), 'cover.pdf');
      const r = await fetch(`${s.url}/console/settings/packaging?lang=en`, {
        method: 'POST',
        headers: { cookie: as.manager.cookie },
        body: form,
        redirect: 'manual',
      });
      return { status: r.status, location: r.headers.get('location'), text: await r.text() };
    };
    const methods = new PackagingMethodRepository(s.rt.db);
    const ok = await multipart({ name: 'bank', language: 'da', mask: 'yes', pdfa: 'yes', description: 'Lån' }, template);
    expect([ok.status, ok.location]).toEqual([303, '/console/settings?lang=en&done=packaging#packaging']);
    const stored = (await methods.list(demoId)).find((m) => m.name === 'bank')!;
    expect(stored).toMatchObject({
      language: 'da',
      maskNationalId: true,
      pdfa: true,
      description: 'Lån',
      template: { size: template.byteLength },
    });
    // saved again without a file: the template stays; with removeTemplate: the built-in cover
    await multipart({ name: 'bank', language: 'sv', mask: 'yes' });
    expect((await methods.list(demoId)).find((m) => m.name === 'bank')).toMatchObject({
      language: 'sv',
      pdfa: false,
      template: { size: template.byteLength },
    });
    // refused, nothing changed: a template without seal.box, a bad name, a language segl has not, no token, a viewer
    const before = JSON.stringify(await methods.list(demoId));
    const noBox = await multipart({ name: 'bank' }, await makeTemplate(['package.id'], false));
    expect([noBox.status, /packaging method &quot;bank&quot;: .*seal\.box/.test(noBox.text)]).toEqual([400, true]);
    expect((await multipart({ name: 'Bad Name' })).status).toBe(400);
    expect((await multipart({ name: 'bank', language: 'xx' })).status).toBe(400);
    const form = new FormData();
    form.set('name', 'sneaky');
    expect(
      (await fetch(`${s.url}/console/settings/packaging`, { method: 'POST', headers: { cookie: as.manager.cookie }, body: form })).status,
    ).toBe(403);
    expect(JSON.stringify(await methods.list(demoId))).toBe(before);
    expect((await post('manager', '/packaging/remove', { name: 'pades' })).status).toBe(400);
    await multipart({ name: 'bank', removeTemplate: 'yes' });
    expect((await methods.list(demoId)).find((m) => m.name === 'bank')!.template).toBeUndefined();
    expect((await post('manager', '/packaging/remove', { name: 'bank' })).status).toBe(303);
    expect((await methods.list(demoId)).map((m) => m.name)).toEqual(['pades']);
  });

  test('every change is in the audit log with the actor', async () => {
    const rows = await audited();
    expect(rows.map((r) => r[0])).toEqual(Array(rows.length).fill('settings'));
    expect(rows.map((r) => r[1])).toEqual(Array(rows.length).fill('clerk-manager'));
    expect(rows.map((r) => r[2])).toEqual([
      'callback allowlist set to hooks.example, *.bank.example:8443, 10.0.0.0/8',
      'webhook secret rotated',
      expect.stringMatching(/^profile default saved/),
      'SAML service provider https://sp.example/meta registered',
      'SAML service provider https://sp.example/meta removed',
      'OpenID client demo-web removed',
      expect.stringMatching(/^OpenID client demo-[\w-]+ registered \(client_secret_post\)$/),
      expect.stringMatching(/^OpenID client demo-[\w-]+ registered \(public\)$/),
      expect.stringMatching(/^OpenID client demo-[\w-]+ removed$/),
      expect.stringMatching(/^packaging method bank saved \(da, masked, PDF\/A, template \d+ bytes\)$/),
      expect.stringMatching(/^packaging method bank saved \(sv, masked, no PDF\/A, template \d+ bytes\)$/),
      'packaging method bank saved (en, unmasked, no PDF/A, built-in cover)',
      'packaging method bank removed',
    ]);
  });
});
