// The delivery worker's side of notification texts (docs/notification-texts.md): an EMAIL or SMS
// notification whose message is exactly `template:NAME` is sent with that template of the request's
// service, in the task's language, else the request's, else the template's default, else English.
// `${language}` and `${service}` are filled in here, the other placeholders by the worker's usual
// expansion. A template removed since createRequest is a permanent failure (dead-lettered, said why).
import { chooseLanguage, fillOwn, templateRef } from '../core/notifytexts';
import type { DeliveryWork } from '../store/outbox';
import type { NotifyTextSource } from '../store/notifytexts';
import { PermanentDeliveryError } from './errors';

/** The delivery as it is sent: the template's texts in place of the reference, and a note on what was used. */
export async function withTemplate(texts: NotifyTextSource | undefined, w: DeliveryWork): Promise<{ work: DeliveryWork; note: string }> {
  const name = texts && (w.channel === 'EMAIL' || w.channel === 'SMS') ? templateRef(w.notification.message) : undefined;
  if (!texts || name === undefined) return { work: w, note: '' };
  const t = await texts.template(w.serviceId, name);
  if (!t) throw new PermanentDeliveryError(`service "${w.serviceName}" has no notification text "${name}" (any more)`);
  if (t.channel !== w.channel) throw new PermanentDeliveryError(`notification text "${name}" is for ${t.channel}, not ${w.channel}`);
  const langs = await texts.languages(w.requestId, w.taskId);
  const language = chooseLanguage(t, [langs.task, langs.request]);
  const x = t.texts[language]!;
  const own = { language, service: w.serviceName };
  const notification = {
    ...w.notification,
    message: fillOwn(x.body, own),
    ...(x.subject !== undefined ? { header: fillOwn(x.subject, own) } : {}),
  };
  return { work: { ...w, notification }, note: ` with notification text "${name}" (${language})` };
}
