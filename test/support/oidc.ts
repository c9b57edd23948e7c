// What the OIDC eID tests share: an OIDC method stored for a service the way `segl eid oidc add`
// stores it (the same config check and secret split), and a task that names it.
import type { Runtime } from '../../src/runtime';
import { parseOidcMethodConfig } from '../../src/eid/oidc/config';
import { splitSecret } from '../../src/eid/oidc/methods';
import { OidcMethodRepository } from '../../src/store/oidcmethods';
import { AtRest } from '../../src/store/atrest';
import type { Page } from 'playwright-core';
import type { TestIdEnvironment } from '../../src/eid/testid/users';
import { DIALECT, type DialectName } from '../../src/eid/oidc/testidp/dialects';
import { keyCardCode } from './portalflow';
import { envelope, NS, post } from './soap';

/** Stores the method (config as JSON) for `service`, as `segl eid oidc add` does. */
export async function addOidcMethod(rt: Runtime, service: string, config: Record<string, unknown>): Promise<void> {
  const c = parseOidcMethodConfig(JSON.stringify(config));
  const { config: stored, secret } = splitSecret(c);
  const svc = await rt.services.find(service);
  if (!svc) throw new Error(`no service ${service}`);
  await new OidcMethodRepository(rt.db, new AtRest(rt.config.secret!)).put(svc.id, c.name, stored, secret, new Date().toISOString());
}

/** A one-task request whose task logs in with `method` (and names `nationalId` as its subject's); its request id, or the fault. */
export async function createOidcTask(
  endpoint: string,
  password: string,
  o: { method: string; nationalId?: string; taskId?: string; signature?: string; service?: string; language?: string },
): Promise<{ requestId?: string; text: string }> {
  const doc = `<document xsi:type="provided-document" id="terms" mime-type="text/plain"><description>Terms</description><data>${Buffer.from('Interest 3 %').toString('base64')}</data></document>`;
  const task =
    `<task id="${o.taskId ?? 't1'}">` +
    (o.nationalId ? `<subject><national-id>${o.nationalId}</national-id></subject>` : '') +
    '<document-action type="sign"><document-ref>terms</document-ref></document-action>' +
    `<authentication><method>${o.method}</method></authentication>` +
    (o.signature ? `<authentication-based-signature><method>${o.signature}</method></authentication-based-signature>` : '') +
    (o.language ? `<language>${o.language}</language>` : '') +
    '</task>';
  const r = await post(
    endpoint,
    envelope(
      `<create-request-request xmlns="${NS}"><service>${o.service ?? 'demo'}</service><password>${password}</password><request>${doc}${task}</request></create-request-request>`,
    ),
  );
  return { requestId: /<request-id>([^<]+)</.exec(r.text)?.[1], text: r.text };
}

/** At the test IdP's login page (segl's test eID as a broker): user id, password, then a key-card code. */
export async function atTestIdp(p: Page, testid: TestIdEnvironment, alias: string, password: string): Promise<void> {
  await p.getByLabel('User ID (alias, CPR or PID)').fill(alias);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Next' }).click();
  const code = await keyCardCode(testid, alias, { status: 200, html: await p.content(), url: p.url() }, 'test IdP');
  await p.getByLabel(/^Code for key/).fill(code);
  await p.getByRole('button', { name: 'Next' }).click();
}

/** A method config for the test IdP's `dialect` at `url` (the IdP knows its clients from the stored methods). */
export function testIdpMethod(
  url: string,
  dialect: DialectName,
  o: { name: string; label: string; use?: string[] },
): Record<string, unknown> {
  return {
    ...o,
    issuer: `${url}/testidp/${dialect}`,
    clientId: `segl-${dialect}`,
    clientAuth: 'client_secret_basic',
    clientSecret: `secret-of-${dialect}-0123456789`,
    scope: DIALECT[dialect].example.scope,
    acrValues: DIALECT[dialect].example.acrValues,
  };
}
