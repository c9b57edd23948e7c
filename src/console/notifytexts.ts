// The console's notification texts (settings, issue 16 part 5, docs/notification-texts.md), for managers:
// list, edit with a preview in every language (sample values filled in, nothing saved), save and remove,
// by the same rules as `segl notify-text` (core/notifytexts.ts). Each change is a POST with the CSRF token,
// recorded in console_audit; a refusal is a translated 400 page saying nothing changed.
import express from 'express';
import {
  checkTemplate,
  isTextLanguage,
  NotifyTextError,
  previewTemplate,
  TEXT_LANGUAGES,
  TEXT_LIMITS,
  TEXT_NAME,
  type NotifyTemplate,
  type TextLanguage,
} from '../core/notifytexts';
import type { Lang } from '../portal/i18n';
import type { NotifyTextRepository } from '../store/notifytexts';
import type { WebParts } from './actions';
import { textEditorPage, textsListPage } from './notifytextpages';
import { Refusal } from './packagingsettings';
import type { ConsoleSession } from './session';

export interface NotifyTextDeps {
  repo: Pick<NotifyTextRepository, 'list' | 'template' | 'set' | 'remove'>;
  publicUrl: () => string;
}

type Authed = express.Request & { session?: ConsoleSession; lang?: Lang };
type Change = (f: (req: Authed, res: express.Response) => Promise<void>) => express.RequestHandler;
type Audit = (req: Authed, detail: string) => Promise<void>;

/** Five bodies of an e-mail text and their subjects fit; anything larger is refused by the parser (413). */
const textsForm = express.urlencoded({ extended: false, limit: '128kb', parameterLimit: 20 });

const field = (req: express.Request, name: string, max: number): string => {
  const v = ((req.body ?? {}) as Record<string, unknown>)[name];
  if (v !== undefined && typeof v !== 'string') throw new Refusal(`${name}: give it once`);
  if ((v ?? '').length > max) throw new Refusal(`${name}: at most ${max} characters`);
  return (v ?? '').replace(/\r\n/g, '\n');
};

const checkedName = (n: string): string => {
  if (!TEXT_NAME.test(n)) throw new Refusal(`name: "${n.slice(0, 80)}" must be 1 to 64 letters, digits, dots, dashes or underscores`);
  return n;
};

/** The template the editor's form describes; languages left empty have no text of their own. */
function formTemplate(req: express.Request): NotifyTemplate {
  const channel = field(req, 'channel', 8);
  if (channel !== 'EMAIL' && channel !== 'SMS') throw new Refusal(`channel: "${channel}" must be EMAIL or SMS`);
  const defaultLanguage = field(req, 'defaultLanguage', 8);
  if (!isTextLanguage(defaultLanguage)) throw new Refusal(`defaultLanguage: must be one of ${TEXT_LANGUAGES.join(', ')}`);
  const texts: NotifyTemplate['texts'] = {};
  for (const l of TEXT_LANGUAGES) {
    const body = field(req, `body_${l}`, TEXT_LIMITS.emailBody + 1);
    const subject = channel === 'EMAIL' ? field(req, `subject_${l}`, TEXT_LIMITS.subject + 1).trim() : '';
    if (body.trim() || subject) texts[l] = { body, ...(channel === 'EMAIL' ? { subject } : {}) };
  }
  const description = field(req, 'description', TEXT_LIMITS.description + 1).trim();
  return {
    name: checkedName(field(req, 'name', 64).trim()),
    channel,
    defaultLanguage: defaultLanguage as TextLanguage,
    texts,
    ...(description ? { description } : {}),
  };
}

export function notifyTextRoutes(
  r: express.Router,
  d: NotifyTextDeps,
  w: WebParts,
  change: Change,
  audit: Audit,
  form: express.RequestHandler,
): void {
  const view = (req: Authed) => ({ service: req.session!.service, csrf: req.session!.csrf });
  r.get(
    '/console/settings/texts',
    w.session,
    w.manager,
    w.guard(async (req, res) => {
      const texts = await d.repo.list(req.session!.serviceId);
      w.send(res, 200, textsListPage(req.lang!, { ...view(req), texts, notice: req.query.done === 'texts' }));
    }),
  );
  r.get(
    '/console/settings/texts/edit',
    w.session,
    w.manager,
    change(async (req, res) => {
      const name = checkedName(String(req.query.name ?? '').trim());
      const channel = req.query.channel === 'SMS' ? 'SMS' : 'EMAIL';
      const stored = await d.repo.template(req.session!.serviceId, name);
      const template: NotifyTemplate = stored ?? { name, channel, defaultLanguage: 'en', texts: {} };
      w.send(res, 200, textEditorPage(req.lang!, { ...view(req), template }));
    }),
  );
  r.post(
    '/console/settings/texts',
    textsForm,
    w.session,
    w.csrf,
    w.manager,
    change(async (req, res) => {
      const tpl = formTemplate(req);
      // a text that breaks a rule comes back in the editor with the rule (nothing saved), whichever button was pressed
      let error: string | undefined;
      try {
        checkTemplate(tpl);
      } catch (e) {
        if (!(e instanceof NotifyTextError)) throw e;
        error = e.message;
      }
      if (error || field(req, 'action', 16) === 'preview') {
        const preview = error ? undefined : previewTemplate(tpl, req.session!.service, d.publicUrl());
        w.send(res, error ? 400 : 200, textEditorPage(req.lang!, { ...view(req), template: tpl, preview, error }));
        return;
      }
      await d.repo.set(req.session!.serviceId, tpl, new Date().toISOString());
      await audit(
        req,
        `notification text ${tpl.name} saved (${tpl.channel}, ${Object.keys(tpl.texts).join(', ')}; default ${tpl.defaultLanguage})`,
      );
      res.redirect(303, `/console/settings/texts?lang=${req.lang}&done=texts`);
    }),
  );
  r.post(
    '/console/settings/texts/remove',
    form,
    w.session,
    w.csrf,
    w.manager,
    change(async (req, res) => {
      const name = checkedName(field(req, 'name', 64).trim());
      if (!(await d.repo.remove(req.session!.serviceId, name))) throw new Refusal(`name: no notification text "${name}"`);
      await audit(req, `notification text ${name} removed`);
      res.redirect(303, `/console/settings/texts?lang=${req.lang}&done=texts`);
    }),
  );
}
