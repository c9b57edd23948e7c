// The console's settings of a service (issue 15 part 2, docs/console.md "Settings"), for managers:
// the callback allowlist and the webhook secret's rotation, the portal's graphical profiles with a
// preview before saving, the SAML 2.0 service providers and the OpenID clients, the packaging methods.
// Each change is a POST with the CSRF token, checked by the same rules as its `segl` command, recorded
// in console_audit (request id empty: it concerns the service), and refused with a translated page that
// says nothing changed. What the command line does besides (logos, templates, OIDC client secrets) is
// named on the page.
import express from 'express';
import type { Logger } from 'pino';
import { parseAllowPatterns } from '../notify/allowlist';
import { t, type Lang } from '../portal/i18n';
import { profileCss } from '../portal/layout';
import type { ConsoleAuditRepository } from '../store/consoleaudit';
import type { OidcOpRepository } from '../store/oidcop';
import { PackagingMethodError, type PackagingMethodRepository } from '../store/packagingmethods';
import { COLOUR, PROFILE_NAME, type PortalProfile, type ProfileRepository } from '../store/profiles';
import type { SamlSpRepository } from '../store/samlsps';
import type { ServiceRepository } from '../store/services';
import { MAX_METADATA_BYTES, MetadataError, parseSpMetadata } from '../trust/saml2/metadata';
import type { WebParts } from './actions';
import { Refusal, setMethod, templateForm } from './packagingsettings';
import { messagePage } from './pages';
import type { ConsoleSession } from './session';
import { clientAddedPage, profilePage, rotatedPage, settingsPage, type ProfileForm } from './settingspages';
import { newOpClient } from '../eid/op/newclient';
import { notifyTextRoutes, type NotifyTextDeps } from './notifytexts';

export interface SettingsDeps {
  services: Pick<ServiceRepository, 'settings' | 'setCallbackAllow' | 'rotateWebhookSecret'>;
  profiles: Pick<ProfileRepository, 'list' | 'get' | 'set'>;
  samlSps: Pick<SamlSpRepository, 'list' | 'add' | 'remove'>;
  oidcClients: Pick<OidcOpRepository, 'clients' | 'removeClient' | 'addClient'>;
  packagingMethods: Pick<PackagingMethodRepository, 'list' | 'set' | 'template' | 'remove'>;
  /** the notification texts (console/notifytexts.ts); without them there is no texts page */
  notifyTexts?: NotifyTextDeps;
  audit: Pick<ConsoleAuditRepository, 'record'>;
  clock: { now(): Date };
  log: Logger;
}

type Authed = express.Request & { session?: ConsoleSession; lang?: Lang };

/** A refusal: the field and the rule, shown on a page that says nothing changed. */
class Refused extends Error {}

const body = (req: express.Request) => (req.body ?? {}) as Record<string, unknown>;
const text = (req: express.Request, name: string, max: number): string => {
  const v = body(req)[name];
  if (v !== undefined && typeof v !== 'string') throw new Refused(`${name}: give it once`);
  if ((v ?? '').length > max) throw new Refused(`${name}: at most ${max} characters`);
  return (v ?? '').trim();
};

/** The profile form's values, checked as `segl profile set` checks them (colours #rgb/#rrggbb). */
function profileForm(req: express.Request): ProfileForm {
  const f: ProfileForm = {
    displayName: text(req, 'displayName', 100),
    brand: text(req, 'brand', 7),
    brandInk: text(req, 'brandInk', 7),
    ink: text(req, 'ink', 7),
  };
  for (const k of ['brand', 'brandInk', 'ink'] as const)
    if (f[k] && !COLOUR.test(f[k])) throw new Refused(`${k}: "${f[k]}" is not a colour (#rgb or #rrggbb)`);
  return f;
}

const formOf = (p: PortalProfile | null): ProfileForm => ({
  displayName: p?.displayName ?? '',
  brand: p?.colours?.brand ?? '',
  brandInk: p?.colours?.brandInk ?? '',
  ink: p?.colours?.ink ?? '',
});

export function settingsRoutes(r: express.Router, d: SettingsDeps, w: WebParts, form: express.RequestHandler): void {
  const who = (req: Authed) => ({ serviceId: req.session!.serviceId, actor: req.session!.actor });
  const audit = (req: Authed, detail: string) => d.audit.record(who(req), '', 'settings', detail);
  const done = (req: Authed, res: express.Response, what: string, anchor: string) =>
    res.redirect(303, `/console/settings?lang=${req.lang}&done=${what}#${anchor}`);
  /** Runs a change; a refusal is a 400 page naming the field and the rule, with nothing changed. */
  const change =
    (f: (req: Authed, res: express.Response) => Promise<void>): express.RequestHandler =>
    (req, res, next) => {
      const a = req as Authed;
      f(a, res).catch((e: unknown) => {
        if (!(e instanceof Refused || e instanceof Refusal)) return next(e);
        const lang = a.lang!;
        w.send(
          res,
          400,
          messagePage(lang, t(lang, 'console.settings.refused'), `${e.message}. ${t(lang, 'console.unchanged')}`, a.session!.service),
        );
      });
    };
  const page = async (req: Authed) => {
    const s = req.session!;
    const [settings, profiles, sps, clients, methods] = await Promise.all([
      d.services.settings(s.service),
      d.profiles.list(s.serviceId),
      d.samlSps.list(s.serviceId),
      d.oidcClients.clients(s.serviceId),
      d.packagingMethods.list(s.serviceId),
    ]);
    const notice = typeof req.query.done === 'string' ? req.query.done : undefined;
    return settingsPage(req.lang!, { service: s.service, csrf: s.csrf, settings, profiles, sps, clients, methods, notice });
  };

  r.get(
    '/console/settings',
    w.session,
    w.manager,
    w.guard(async (req, res) => w.send(res, 200, await page(req))),
  );
  r.post(
    '/console/settings/callbacks',
    form,
    w.session,
    w.csrf,
    w.manager,
    change(async (req, res) => {
      const lines = text(req, 'allow', 4000)
        .split(/[\n,]/)
        .map((x) => x.trim())
        .filter(Boolean);
      try {
        parseAllowPatterns(lines.join(','));
      } catch (e) {
        throw new Refused(`allow: ${(e as Error).message}`);
      }
      await d.services.setCallbackAllow(req.session!.service, lines);
      await audit(req, `callback allowlist set to ${lines.join(', ') || '(none)'}`);
      done(req, res, 'callbacks', 'callbacks');
    }),
  );
  r.post(
    '/console/settings/webhook-secret',
    form,
    w.session,
    w.csrf,
    w.manager,
    change(async (req, res) => {
      if (body(req).confirm !== 'yes') throw new Refused(t(req.lang!, 'console.settings.confirmRotate'));
      const secret = await d.services.rotateWebhookSecret(req.session!.service);
      await audit(req, 'webhook secret rotated');
      d.log.info({ service: req.session!.service, actor: req.session!.actor }, 'webhook secret rotated from the console');
      w.send(res, 200, rotatedPage(req.lang!, req.session!.service, secret));
    }),
  );
  profileRoutes(r, d, w, form, change, audit);
  if (d.notifyTexts) notifyTextRoutes(r, d.notifyTexts, w, change, audit, form);
  providerRoutes(r, d, w, form, change, audit, done);
}

type Change = (f: (req: Authed, res: express.Response) => Promise<void>) => express.RequestHandler;
type Audit = (req: Authed, detail: string) => Promise<void>;

/** Profiles: edit with a preview (the page in the unsaved colours), then save. */
function profileRoutes(r: express.Router, d: SettingsDeps, w: WebParts, form: express.RequestHandler, change: Change, audit: Audit): void {
  const checked = (n: string) => {
    if (!PROFILE_NAME.test(n)) throw new Refused(`name: "${n.slice(0, 80)}" must be 1 to 64 letters, digits, dots, dashes or underscores`);
    return n;
  };
  const name = (req: express.Request) => checked(String(req.params.name ?? ''));
  // the "edit profile" form names the profile in its query
  r.get(
    '/console/settings/profile',
    w.session,
    w.manager,
    change(async (req, res) => {
      res.redirect(303, `/console/settings/profiles/${encodeURIComponent(checked(String(req.query.name ?? '')))}?lang=${req.lang}`);
    }),
  );
  r.get(
    '/console/settings/profiles/:name',
    w.session,
    w.manager,
    change(async (req, res) => {
      const n = name(req);
      const f = formOf(await d.profiles.get(req.session!.serviceId, n));
      w.send(res, 200, profilePage(req.lang!, { service: req.session!.service, csrf: req.session!.csrf, name: n, form: f }));
    }),
  );
  // the stylesheet of an unsaved preview: the colours in the URL, checked as when saved
  r.get(
    '/console/settings/preview.css',
    w.session,
    w.manager,
    change(async (req, res) => {
      const colours = Object.fromEntries(
        (['brand', 'brandInk', 'ink'] as const).flatMap((k) => {
          const v = typeof req.query[k] === 'string' ? (req.query[k] as string) : '';
          return COLOUR.test(v) ? [[k, v]] : [];
        }),
      );
      res.status(200).type('text/css').set('Cache-Control', 'no-store').send(profileCss({ colours }).replace(':root', '.preview'));
    }),
  );
  r.post(
    '/console/settings/profiles/:name',
    form,
    w.session,
    w.csrf,
    w.manager,
    change(async (req, res) => {
      const n = name(req);
      const f = profileForm(req);
      if (body(req).action === 'preview') {
        w.send(
          res,
          200,
          profilePage(req.lang!, { service: req.session!.service, csrf: req.session!.csrf, name: n, form: f, preview: true }),
        );
        return;
      }
      const old = await d.profiles.get(req.session!.serviceId, n);
      const colours = Object.fromEntries(Object.entries({ brand: f.brand, brandInk: f.brandInk, ink: f.ink }).filter(([, v]) => v));
      const p: PortalProfile = { ...(old ?? {}), colours, ...(f.displayName ? { displayName: f.displayName } : {}) };
      if (!f.displayName) delete p.displayName;
      await d.profiles.set(req.session!.serviceId, n, p, new Date().toISOString());
      await audit(req, `profile ${n} saved (${JSON.stringify({ ...colours, displayName: f.displayName || undefined })})`);
      res.redirect(303, `/console/settings?lang=${req.lang}&done=profile#profiles`);
    }),
  );
}

/** SAML service providers (add from pasted metadata, remove) and OpenID clients (remove). */
function providerRoutes(
  r: express.Router,
  d: SettingsDeps,
  w: WebParts,
  form: express.RequestHandler,
  change: Change,
  audit: Audit,
  done: (req: Authed, res: express.Response, what: string, anchor: string) => void,
): void {
  const metadataForm = express.urlencoded({ extended: false, limit: MAX_METADATA_BYTES * 2, parameterLimit: 10 });
  r.post(
    '/console/settings/saml',
    metadataForm,
    w.session,
    w.csrf,
    w.manager,
    change(async (req, res) => {
      const xml = text(req, 'metadata', MAX_METADATA_BYTES);
      if (!xml) throw new Refused('metadata: paste the service provider metadata (md:EntityDescriptor)');
      let meta;
      try {
        meta = parseSpMetadata(xml);
        await d.samlSps.add(req.session!.serviceId, meta, xml, new Date().toISOString());
      } catch (e) {
        if (e instanceof MetadataError || (e as Error).name === 'SamlSpError') throw new Refused(`metadata: ${(e as Error).message}`);
        throw e;
      }
      await audit(req, `SAML service provider ${meta.entityId} registered`);
      done(req, res, 'saml', 'saml');
    }),
  );
  /** A removal by one form field: refused (nothing changed) when this service has no such entry. */
  const removal = (
    what: 'saml' | 'oidc' | 'packaging',
    field: string,
    max: number,
    label: string,
    remove: (serviceId: number, id: string) => Promise<boolean>,
  ) =>
    r.post(
      `/console/settings/${what}/remove`,
      form,
      w.session,
      w.csrf,
      w.manager,
      change(async (req, res) => {
        const id = text(req, field, max);
        if (!(await remove(req.session!.serviceId, id))) throw new Refused(`${field}: no ${label} "${id}"`);
        await audit(req, `${label} ${id} removed`);
        done(req, res, what, what);
      }),
    );
  removal('saml', 'entityId', 1024, 'SAML service provider', (sid, id) => d.samlSps.remove(sid, id));
  removal('oidc', 'clientId', 128, 'OpenID client', (sid, id) => d.oidcClients.removeClient(sid, id));
  oidcAddRoute(r, d, w, form, change, audit);
  removal('packaging', 'name', 64, 'packaging method', (sid, id) =>
    d.packagingMethods.remove(sid, id).catch((e: unknown) => {
      throw e instanceof PackagingMethodError ? new Refused(`name: ${e.message}`) : e;
    }),
  );
  r.post(
    '/console/settings/packaging',
    templateForm,
    w.session,
    w.csrf,
    w.manager,
    change(async (req, res) => {
      await audit(req, await setMethod(d.packagingMethods, req.session!.serviceId, req));
      done(req, res, 'packaging', 'packaging');
    }),
  );
}

/** An OpenID client registered from the console: its id and (public clients aside) its secret shown once. */
function oidcAddRoute(r: express.Router, d: SettingsDeps, w: WebParts, form: express.RequestHandler, change: Change, audit: Audit): void {
  r.post(
    '/console/settings/oidc',
    form,
    w.session,
    w.csrf,
    w.manager,
    change(async (req, res) => {
      const kind = text(req, 'kind', 32);
      const redirectUris = text(req, 'redirectUris', 4000).split(/\s+/).filter(Boolean);
      let c;
      try {
        c = newOpClient(req.session!.service, {
          redirectUris,
          public: kind === 'public',
          tokenAuth: kind === 'client_secret_post' ? 'client_secret_post' : 'client_secret_basic',
          name: text(req, 'name', 200),
        });
      } catch (e) {
        throw new Refused(`redirectUris: ${(e as Error).message.replace(/--redirect-uri /g, '')}`);
      }
      await d.oidcClients.addClient({ ...c, serviceId: req.session!.serviceId });
      await audit(req, `OpenID client ${c.clientId} registered (${c.public ? 'public' : c.tokenAuth})`);
      w.send(res, 200, clientAddedPage(req.lang!, req.session!.service, c.clientId, c.secret));
    }),
  );
}
