// segl as a SAML 2.0 IdP (src/eid/saml/saml2/) against an SP library not written here:
// @node-saml/node-saml 5.1.0. Its AuthnRequests (HTTP-Redirect and HTTP-POST, signed and unsigned)
// reach segl's /saml2/sso over real HTTP; segl's Response, POSTed by the form page, is validated by
// node-saml's validatePostResponseAsync with the certificate taken from segl's own metadata, and
// xmlsec1 verifies the Response's and the Assertion's signatures. The SP is registered from the
// metadata node-saml generates, in SQLite. Refusals (unknown SP, ACS not in the metadata, bad
// signature, replayed ID, wrong Destination, stale IssueInstant) get the error page, HTTP 400, and
// leave the replay table as it was.
//
// The login in between is what the login core (branch saml11, src/eid/authn/login.ts) will run; until
// it is merged, the front door's `login` hook here finishes at once with a fixed Identity, as the
// core's FrontDoor.finish will (idp.answer + acsPostPage).
import { execFile } from 'node:child_process';
import { deflateRawSync } from 'node:zlib';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { SAML, type SamlConfig } from '@node-saml/node-saml';
import type { DataSource } from 'typeorm';
import { parseSpMetadata } from '../../src/trust/saml2/metadata';
import { Saml2Idp, type Saml2IdpOptions } from '../../src/eid/saml/saml2/idp';
import { decodeRedirect } from '../../src/eid/saml/saml2/bindings';
import { acsPostPage, saml2Routes, sendPage } from '../../src/eid/saml/saml2/routes';
import { persistentNameId, type Saml2Signer } from '../../src/eid/saml/saml2/response';
import type { Identity } from '../../src/eid/authn/identity';
import type { EidErrorCode } from '../../src/eid/errors';
import { openDatabase } from '../../src/store/datasource';
import { AtRest } from '../../src/store/atrest';
import { ServiceRepository } from '../../src/store/services';
import { SamlSpRepository } from '../../src/store/samlsps';
import { sqlDatabase } from '../../src/store/sql';
import { idpCertOf, keyAndCert, nodeSamlConfig, PERSISTENT } from '../support/saml2sp';

jest.setTimeout(60_000);

const FNR = 'urn:kantega:ksi:3.0:nameid-format:fnr';
const withCpr: Identity = {
  method: 'nemid',
  pid: '9208-2002-2-963154826612',
  cpr: '0707580210',
  name: 'Theodora Mathiesen',
  firstName: 'Theodora',
  lastName: 'Mathiesen',
  securityLevel: 3,
  authenticatedAt: new Date(),
};

let dir: string;
let db: DataSource;
let sps: SamlSpRepository;
let server: Server;
let base: string;
let idpSigner: Saml2Signer;
let clockOffsetMs = 0;
let idpOptions: Saml2IdpOptions;
/** how the next login ends (the login core's outcome) */
let nextOutcome: { identity: Identity } | { error: EidErrorCode } = { identity: withCpr };
let spKey: { pem: string; certPem: string };
let otherKey: { pem: string; certPem: string };

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

const unescape = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The hidden fields of segl's form page, and where it posts. */
function formOf(page: string): { action: string; fields: Record<string, string> } {
  const action = unescape(/<form method="post" action="([^"]*)"/.exec(page)?.[1] ?? '');
  const fields: Record<string, string> = {};
  for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)" ?\/?>/g)) fields[m[1]!] = unescape(m[2]!);
  return { action, fields };
}

const spEntity = (n: string) => `https://sp${n}.example/metadata`;
const acsOf = (n: string) => `https://sp${n}.example/saml/acs`;

const spConfig = (n: string, extra: Partial<SamlConfig> = {}): SamlConfig =>
  nodeSamlConfig(spEntity(n), acsOf(n), `${base}/saml2/sso`, extra);

/** node-saml as SP with the IdP certificate read from segl's metadata (as an SP operator imports it). */
async function sp(n: string, extra: Partial<SamlConfig> = {}): Promise<SAML> {
  const md = await (await fetch(`${base}/saml2/metadata`)).text();
  return new SAML({ ...spConfig(n, extra), idpCert: idpCertOf(md) });
}

/** Registers SP n from the metadata node-saml generates for it. */
async function register(n: string, signed: boolean, extra: Partial<SamlConfig> = {}): Promise<void> {
  const cfg = { ...spConfig(n, extra), idpCert: 'unused', ...(signed ? { privateKey: spKey.pem, publicCert: spKey.certPem } : {}) };
  const xml = new SAML(cfg).generateServiceProviderMetadata(null, signed ? spKey.certPem : null);
  const meta = parseSpMetadata(xml);
  expect(meta.authnRequestsSigned).toBe(signed);
  const [svc] = await sqlDatabase(db).tx((q) => q.all<{ id: number }>("SELECT id FROM service WHERE name = 'acme'"));
  await sps.add(Number(svc!.id), meta, xml, new Date().toISOString());
}

const seenCount = async () =>
  Number((await sqlDatabase(db).tx((q) => q.all<{ n: number }>('SELECT COUNT(*) AS n FROM saml_request_seen')))[0]!.n);

async function xmlsec1(xml: string, node: 'Response' | 'Assertion'): Promise<boolean> {
  const file = join(dir, `r-${Math.random().toString(36).slice(2)}.xml`);
  await writeFile(file, xml);
  const args =
    node === 'Response'
      ? ['--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:protocol:Response', '--node-xpath', "/*/*[local-name()='Signature']"]
      : [
          '--id-attr:ID',
          'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
          '--node-xpath',
          "//*[local-name()='Assertion']/*[local-name()='Signature']",
        ];
  const r = await run('xmlsec1', ['--verify', ...args, '--pubkey-cert-pem', join(dir, 'idp.pem'), file]);
  return r.code === 0 && /OK/.test(r.out);
}

/** Follows a Redirect-binding URL: segl's answer page. */
async function viaRedirect(url: string): Promise<{ status: number; page: string }> {
  const r = await fetch(url, { redirect: 'manual', headers: { 'accept-language': 'da' } });
  return { status: r.status, page: await r.text() };
}

/** Posts node-saml's POST-binding form to segl. */
async function viaPost(form: string): Promise<{ status: number; page: string }> {
  const { action, fields } = formOf(form);
  const r = await fetch(action, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
  return { status: r.status, page: await r.text() };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segl-saml2-'));
  db = await openDatabase({ dataDir: dir });
  await new ServiceRepository(db, new AtRest('a-test-secret-of-enough-length-1234567890')).create('acme', 'password-123');
  sps = new SamlSpRepository(db);
  const idp = await keyAndCert('segl.test SAML signing');
  idpSigner = { key: idp.key, certificateDer: idp.der };
  await writeFile(join(dir, 'idp.pem'), idp.certPem);
  spKey = await keyAndCert('sp.example');
  otherKey = await keyAndCert('attacker.example');
  const app = express();
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  idpOptions = {
    sps,
    entityId: () => `${base}/saml2/metadata`,
    ssoUrl: () => `${base}/saml2/sso`,
    wantAuthnRequestsSigned: false,
    signer: async () => idpSigner,
    now: () => new Date(Date.now() + clockOffsetMs),
    persistentId: (spEntityId, pid) => persistentNameId('a-test-secret-of-enough-length-1234567890', spEntityId, pid),
  };
  const samlIdp = new Saml2Idp(idpOptions);
  app.use(
    saml2Routes(samlIdp, {
      send: sendPage,
      // the login core's part (src/eid/authn/login.ts): the login ends at once with nextOutcome, and the
      // door answers as its finish does (test/e2e/saml2-login.test.ts runs the real login in Chromium)
      start: async (_req, res, pending, lang) => sendPage(res, 200, acsPostPage(await samlIdp.answer(pending, nextOutcome), lang)),
    }),
  );
  await register('1', false);
  await register('2', true);
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await db.destroy();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  nextOutcome = { identity: withCpr };
  clockOffsetMs = 0;
});

describe('metadata', () => {
  it('is an IDPSSODescriptor with the signing certificate, NameID formats and both SSO bindings', async () => {
    const r = await fetch(`${base}/saml2/metadata`);
    expect(r.headers.get('content-type')).toMatch(/^application\/samlmetadata\+xml/);
    const md = await r.text();
    expect(md).toContain(`entityID="${base}/saml2/metadata"`);
    expect(md).toContain(
      '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">',
    );
    expect(md).toContain(`<ds:X509Certificate>${Buffer.from(idpSigner.certificateDer).toString('base64')}</ds:X509Certificate>`);
    expect(md).toContain('<md:KeyDescriptor use="signing">');
    expect(md).toContain(`<md:NameIDFormat>${PERSISTENT}</md:NameIDFormat>`);
    for (const b of ['HTTP-Redirect', 'HTTP-POST'])
      expect(md).toContain(`<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${b}" Location="${base}/saml2/sso">`);
    // xmllint reads it against nothing but well-formedness; the strict parser segl uses for SP metadata refuses it as SP metadata
    expect(() => parseSpMetadata(md)).toThrow(/exactly one md:SPSSODescriptor/);
  });
});

const nameIds: Record<string, Set<string>> = {};

describe('a login with node-saml as SP', () => {
  const cases: Array<[string, string, 'HTTP-Redirect' | 'HTTP-POST']> = [
    ['unsigned, HTTP-Redirect', '1', 'HTTP-Redirect'],
    ['unsigned, HTTP-POST', '1', 'HTTP-POST'],
    ['signed, HTTP-Redirect', '2', 'HTTP-Redirect'],
    ['signed, HTTP-POST', '2', 'HTTP-POST'],
    ['signed, HTTP-POST not deflated (bindings §3.5.4)', '2', 'HTTP-POST'],
  ];
  it.each(cases)(
    '%s: the Response validates in node-saml with the attributes, xmlsec1 verifies both signatures',
    async (name, n, binding) => {
      const signed = n === '2';
      const plain = name.includes('not deflated');
      const saml = await sp(n, {
        authnRequestBinding: binding,
        skipRequestCompression: plain,
        ...(signed ? { privateKey: spKey.pem } : {}),
      });
      const before = await seenCount();
      const answer =
        binding === 'HTTP-Redirect'
          ? await viaRedirect(await saml.getAuthorizeUrlAsync('relay-äø', undefined, {}))
          : await viaPost(await saml.getAuthorizeFormAsync('relay-äø'));
      expect(answer.status).toBe(200);
      expect(await seenCount()).toBe(before + 1);
      const { action, fields } = formOf(answer.page);
      expect(action).toBe(acsOf(n));
      expect(fields.RelayState).toBe('relay-äø');
      expect(answer.page).toMatch(/<button class="button" type="submit">/);
      const xml = Buffer.from(fields.SAMLResponse!, 'base64').toString('utf8');
      const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: fields.SAMLResponse! });
      // the persistent NameID is pairwise: opaque, never the PID, one value per SP (checked across the cases below)
      expect(profile!.nameID).toMatch(/^[\w-]{43}$/);
      (nameIds[n] ??= new Set()).add(profile!.nameID);
      expect(profile).toMatchObject({
        issuer: `${base}/saml2/metadata`,
        nameIDFormat: PERSISTENT,
        'national-identity': '0707580210',
        'national-identity-country': 'DK',
        'common-name': 'Theodora Mathiesen',
        'given-name': 'Theodora',
        surname: 'Mathiesen',
      });
      expect(xml).toContain('<saml:AuthnContextClassRef>urn:ksi:names:SAML:2.0:ac:OCES</saml:AuthnContextClassRef>');
      expect(xml).toMatch(/NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"/);
      expect(await xmlsec1(xml, 'Response')).toBe(true);
      expect(await xmlsec1(xml, 'Assertion')).toBe(true);
      // a changed attribute value breaks both signatures, and node-saml refuses it
      const tampered = xml.replace('0707580210', '0707580211');
      expect(await xmlsec1(tampered, 'Response')).toBe(false);
      expect(await xmlsec1(tampered, 'Assertion')).toBe(false);
      // a change outside the Assertion breaks only the Response's signature: each check reads its own
      const outside = xml.replace(`Destination="${acsOf(n)}"`, `Destination="${acsOf(n)}x"`);
      expect(outside).not.toBe(xml);
      expect(await xmlsec1(outside, 'Response')).toBe(false);
      expect(await xmlsec1(outside, 'Assertion')).toBe(true);
    },
  );

  it('without a released national id: the attribute is there but blank; the national id as NameID is then refused at the ACS', async () => {
    nextOutcome = { identity: { ...withCpr, cpr: undefined } };
    const saml = await sp('1');
    const answer = await viaRedirect(await saml.getAuthorizeUrlAsync('', undefined, {}));
    const { fields } = formOf(answer.page);
    expect(fields.RelayState).toBe(undefined);
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: fields.SAMLResponse! });
    expect(profile).toMatchObject({ nameID: [...nameIds['1']!][0], 'common-name': 'Theodora Mathiesen' });
    // the same person: one NameID at SP 1 over every login, another at SP 2, neither the PID
    expect([nameIds['1']!.size, nameIds['2']!.size]).toEqual([1, 1]);
    expect([...nameIds['1']!][0]).not.toBe([...nameIds['2']!][0]);
    expect([...nameIds['1']!, ...nameIds['2']!]).not.toContain(withCpr.pid);
    // node-saml reads an empty AttributeValue as undefined: the attributes are there, blank
    expect(Object.keys(profile!)).toEqual(expect.arrayContaining(['national-identity', 'national-identity-country']));
    const xml = Buffer.from(fields.SAMLResponse!, 'base64').toString('utf8');
    for (const name of ['national-identity', 'national-identity-country'])
      expect(xml).toContain(
        `<saml:Attribute Name="${name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue></saml:AttributeValue></saml:Attribute>`,
      );
    expect(xml).not.toContain('0707580210');

    const asksFnr = await sp('1', { identifierFormat: FNR });
    const refused = formOf((await viaRedirect(await asksFnr.getAuthorizeUrlAsync('', undefined, {}))).page);
    const refusedXml = Buffer.from(refused.fields.SAMLResponse!, 'base64').toString('utf8');
    expect(refusedXml).toContain('<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy">');
    await expect(asksFnr.validatePostResponseAsync({ SAMLResponse: refused.fields.SAMLResponse! })).rejects.toThrow(/Responder/);
  });

  it('the national id as NameID when asked for and released', async () => {
    const saml = await sp('1', { identifierFormat: FNR });
    const { fields } = formOf((await viaRedirect(await saml.getAuthorizeUrlAsync('', undefined, {}))).page);
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: fields.SAMLResponse! });
    expect(profile).toMatchObject({ nameID: '0707580210', nameIDFormat: FNR });
  });

  it('a cancelled login answers Responder/AuthnFailed at the ACS; IsPassive answers NoPassive; an unknown NameID format InvalidNameIDPolicy', async () => {
    nextOutcome = { error: 'usercancel' };
    const saml = await sp('1');
    const cancel = formOf((await viaRedirect(await saml.getAuthorizeUrlAsync('r', undefined, {}))).page);
    const cancelXml = Buffer.from(cancel.fields.SAMLResponse!, 'base64').toString('utf8');
    expect(cancelXml).toContain(
      '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed">',
    );
    expect(cancelXml).toContain('<samlp:StatusMessage>The process was aborted by the end user</samlp:StatusMessage>');
    expect(cancelXml).not.toContain('Assertion');
    expect(await xmlsec1(cancelXml, 'Response')).toBe(true);
    await expect(saml.validatePostResponseAsync({ SAMLResponse: cancel.fields.SAMLResponse! })).rejects.toThrow(/Responder/);

    nextOutcome = { identity: withCpr };
    const passive = await sp('1', { passive: true });
    const p = formOf((await viaRedirect(await passive.getAuthorizeUrlAsync('', undefined, {}))).page);
    expect(Buffer.from(p.fields.SAMLResponse!, 'base64').toString('utf8')).toContain('urn:oasis:names:tc:SAML:2.0:status:NoPassive');

    const email = await sp('1', { identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' });
    const e = formOf((await viaRedirect(await email.getAuthorizeUrlAsync('', undefined, {}))).page);
    const eXml = Buffer.from(e.fields.SAMLResponse!, 'base64').toString('utf8');
    expect(eXml).toContain(
      '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Requester"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy">',
    );
  });
});

describe('SP and IdP settings', () => {
  const query = (url: string) => url.slice(url.indexOf('?') + 1);

  it('WantAuthnRequestsSigned (SEGL_SAML2_SIGNED_REQUESTS): said in the metadata; an unsigned request is then refused, a signed one accepted', async () => {
    const strict = new Saml2Idp({ ...idpOptions, wantAuthnRequestsSigned: true });
    expect(await strict.metadata()).toContain('WantAuthnRequestsSigned="true"');
    const unsigned = await (await sp('1')).getAuthorizeUrlAsync('', undefined, {});
    await expect(strict.accept(decodeRedirect(query(unsigned)))).rejects.toThrow(/must sign its AuthnRequests/);
    const signed = await (await sp('2', { privateKey: spKey.pem })).getAuthorizeUrlAsync('', undefined, {});
    await expect(strict.accept(decodeRedirect(query(signed)))).resolves.toMatchObject({
      login: { spEntityId: spEntity('2'), acsUrl: acsOf('2') },
    });
  });

  it('AssertionConsumerServiceIndex: an index of the metadata is used, any other refused', async () => {
    const request = (index: number, id: string) =>
      `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${new Date().toISOString()}" AssertionConsumerServiceIndex="${index}"><saml:Issuer>${spEntity('1')}</saml:Issuer></samlp:AuthnRequest>`;
    const enc = (xml: string) => decodeRedirect(`SAMLRequest=${encodeURIComponent(deflateRawSync(xml).toString('base64'))}`);
    const idp = new Saml2Idp(idpOptions);
    await expect(idp.accept(enc(request(1, '_i1')))).resolves.toMatchObject({ login: { acsUrl: acsOf('1') } });
    await expect(idp.accept(enc(request(7, '_i2')))).rejects.toThrow(
      /AssertionConsumerServiceIndex 7 is not an HTTP-POST ACS of https:\/\/sp1\.example\/metadata/,
    );
  });
});

describe('refused requests: the error page, HTTP 400, nothing stored, no redirect', () => {
  async function refused(answer: Promise<{ status: number; page: string }>, reason: RegExp): Promise<void> {
    const before = await seenCount();
    const r = await answer;
    expect(r.status).toBe(400);
    expect(r.page).not.toContain('SAMLResponse');
    expect(r.page).toMatch(reason);
    expect(await seenCount()).toBe(before);
  }

  it('an unknown SP (in Danish: the browser asked for it)', async () => {
    const saml = await sp('9');
    const r = viaRedirect(await saml.getAuthorizeUrlAsync('', undefined, {}));
    await refused(r, /no service provider with entityID &quot;https:\/\/sp9\.example\/metadata&quot; is registered/);
    expect((await viaRedirect(await saml.getAuthorizeUrlAsync('', undefined, {}))).page).toContain(
      'Anmodningen om login kunne ikke modtages',
    );
  });

  it('an ACS not in the metadata (an open redirect attempt)', async () => {
    const saml = await sp('1', { callbackUrl: 'https://attacker.example/acs' });
    await refused(
      viaRedirect(await saml.getAuthorizeUrlAsync('', undefined, {})),
      /AssertionConsumerServiceURL https:\/\/attacker\.example\/acs is not/,
    );
  });

  it('a bad signature on a signed request (Redirect and POST), and a missing one where the SP signs', async () => {
    const wrongKey = await sp('2', { privateKey: otherKey.pem });
    await refused(viaRedirect(await wrongKey.getAuthorizeUrlAsync('', undefined, {})), /signature of the request does not verify/);
    const wrongPost = await sp('2', { privateKey: otherKey.pem, authnRequestBinding: 'HTTP-POST' });
    await refused(viaPost(await wrongPost.getAuthorizeFormAsync('')), /ds:Signature of the AuthnRequest does not verify/);
    const unsigned = await sp('2');
    await refused(viaRedirect(await unsigned.getAuthorizeUrlAsync('', undefined, {})), /must sign its AuthnRequests/);
    // a signed query string with a changed RelayState
    const good = await sp('2', { privateKey: spKey.pem });
    const url = (await good.getAuthorizeUrlAsync('mine', undefined, {})).replace('RelayState=mine', 'RelayState=theirs');
    await refused(viaRedirect(url), /signature of the request does not verify/);
  });

  it('a signed POST request changed after signing, or whose signature points elsewhere', async () => {
    const signedPost = await sp('2', { privateKey: spKey.pem, authnRequestBinding: 'HTTP-POST', skipRequestCompression: true });
    const { action, fields } = formOf(await signedPost.getAuthorizeFormAsync(''));
    const xml = Buffer.from(fields.SAMLRequest!, 'base64').toString('utf8');
    const post = (changed: string) =>
      fetch(action, { method: 'POST', body: new URLSearchParams({ SAMLRequest: Buffer.from(changed).toString('base64') }) }).then(
        async (r) => ({
          status: r.status,
          page: await r.text(),
        }),
      );
    const id = /ID="([^"]+)"/.exec(xml)![1]!;
    const otherAcs = xml.replace(`AssertionConsumerServiceURL="${acsOf('2')}"`, `AssertionConsumerServiceURL="${acsOf('1')}"`);
    expect(otherAcs).not.toBe(xml);
    await refused(post(otherAcs), /ds:Signature of the AuthnRequest does not verify/);
    const renamed = xml.replace(`ID="${id}"`, 'ID="_another"');
    await refused(post(renamed), /one ds:Reference, to the samlp:AuthnRequest ID/);
    // rsa-sha1 (node-saml's default) is not accepted, by either binding
    const sha1Post = await sp('2', {
      privateKey: spKey.pem,
      authnRequestBinding: 'HTTP-POST',
      signatureAlgorithm: 'sha1',
      digestAlgorithm: 'sha1',
    });
    await refused(viaPost(await sha1Post.getAuthorizeFormAsync('')), /not of the profile segl verifies/);
    const sha1Redirect = await sp('2', { privateKey: spKey.pem, signatureAlgorithm: 'sha1' });
    await refused(
      viaRedirect(await sha1Redirect.getAuthorizeUrlAsync('', undefined, {})),
      /SigAlg http:\/\/www\.w3\.org\/2000\/09\/xmldsig#rsa-sha1 is not accepted/,
    );
    // the request as signed is accepted (so each refusal above is about its change)
    expect((await post(xml)).status).toBe(200);
  });

  it('a replayed request ID', async () => {
    const saml = await sp('1');
    const url = await saml.getAuthorizeUrlAsync('', undefined, {});
    expect((await viaRedirect(url)).status).toBe(200);
    await refused(viaRedirect(url), /was already used/);
  });

  it('a wrong Destination and a stale or future IssueInstant', async () => {
    const request = (destination: string, instant: Date, id: string) =>
      `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${instant.toISOString()}" Destination="${destination}" AssertionConsumerServiceURL="${acsOf('1')}"><saml:Issuer>${spEntity('1')}</saml:Issuer></samlp:AuthnRequest>`;
    const send = (xml: string) =>
      viaRedirect(`${base}/saml2/sso?SAMLRequest=${encodeURIComponent(deflateRawSync(xml).toString('base64'))}`);
    await refused(
      send(request('https://elsewhere.example/sso', new Date(), '_d1')),
      /Destination https:\/\/elsewhere\.example\/sso is not this SSO endpoint/,
    );
    await refused(send(request(`${base}/saml2/sso`, new Date(Date.now() - 6 * 60_000), '_d2')), /IssueInstant is more than 300 s old/);
    await refused(
      send(request(`${base}/saml2/sso`, new Date(Date.now() + 2 * 60_000), '_d3')),
      /IssueInstant is more than 60 s in the future/,
    );
    clockOffsetMs = 10 * 60_000;
    const saml = await sp('1');
    await refused(viaRedirect(await saml.getAuthorizeUrlAsync('', undefined, {})), /IssueInstant is more than 300 s old/);
    clockOffsetMs = 0;
    // the same request as the first, with the right Destination, is accepted: the checks above refused only what they name
    expect((await send(request(`${base}/saml2/sso`, new Date(), '_d4'))).status).toBe(200);
  });

  it('input that is not a request', async () => {
    await refused(viaRedirect(`${base}/saml2/sso`), /the query string has no SAMLRequest/);
    await refused(viaRedirect(`${base}/saml2/sso?SAMLRequest=%%%`), /not URL-encoded/);
    await refused(viaRedirect(`${base}/saml2/sso?SAMLRequest=bm90IGRlZmxhdGU%3D`), /not DEFLATE-compressed/);
    const dtd = '<!DOCTYPE x [<!ENTITY e "e">]><samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>';
    await refused(
      viaRedirect(`${base}/saml2/sso?SAMLRequest=${encodeURIComponent(deflateRawSync(dtd).toString('base64'))}`),
      /not well-formed XML segl accepts/,
    );
    const post = (body: Record<string, string>) =>
      fetch(`${base}/saml2/sso`, { method: 'POST', body: new URLSearchParams(body) }).then(async (r) => ({
        status: r.status,
        page: await r.text(),
      }));
    await refused(post({ RelayState: 'x' }), /the form has no SAMLRequest field/);
    await refused(
      post({ SAMLRequest: Buffer.from('<a/>').toString('base64'), RelayState: 'x'.repeat(81) }),
      /RelayState is longer than 80 bytes/,
    );
  });
});
