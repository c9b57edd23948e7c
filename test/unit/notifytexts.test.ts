// The rules of notification texts (core/notifytexts.ts): what a template may hold, which language is
// sent, what a reference looks like and what createRequest refuses.
import {
  checkTemplate,
  checkTemplateRefs,
  chooseLanguage,
  fillOwn,
  notificationsOf,
  NotifyTextError,
  previewTemplate,
  templateRef,
  TEXT_LIMITS,
  type NotifyTemplate,
} from '../../src/core/notifytexts';
import { ValidationError } from '../../src/core/errors';
import type { SigningRequest } from '../../src/core/types';

const mail: NotifyTemplate = {
  name: 'welcome',
  channel: 'EMAIL',
  defaultLanguage: 'da',
  texts: {
    en: { subject: 'Please sign', body: 'Sign at ${taskUrl} (${language})' },
    da: { subject: 'Underskriv venligst', body: 'Underskriv på ${taskUrl} (${language}, ${service})' },
  },
};

const refusal = (t: NotifyTemplate): string => {
  try {
    checkTemplate(t);
  } catch (e) {
    expect(e).toBeInstanceOf(NotifyTextError);
    return (e as Error).message;
  }
  return 'accepted';
};

describe('notification texts', () => {
  test('a template with known placeholders is accepted; an unknown placeholder is refused by name', () => {
    expect(refusal(mail)).toBe('accepted');
    expect(refusal({ ...mail, texts: { ...mail.texts, en: { subject: 'Hi', body: 'Dear ${firstName}' } } })).toBe(
      'en body: unknown placeholder ${firstName} (known: ${taskUrl}, ${requestId}, ${taskId}, ${language}, ${service})',
    );
    expect(refusal({ ...mail, texts: { ...mail.texts, da: { subject: 'Sag ${x}', body: 'b' } } })).toMatch(
      /^da subject: unknown placeholder \$\{x\}/,
    );
  });

  test('sizes, channels and the default language are bounded', () => {
    const sms: NotifyTemplate = {
      name: 'r',
      channel: 'SMS',
      defaultLanguage: 'en',
      texts: { en: { body: 'x'.repeat(TEXT_LIMITS.smsBody) } },
    };
    expect(refusal(sms)).toBe('accepted');
    expect(refusal({ ...sms, texts: { en: { body: 'x'.repeat(TEXT_LIMITS.smsBody + 1) } } })).toBe(
      `en body: at most ${TEXT_LIMITS.smsBody} characters (it has ${TEXT_LIMITS.smsBody + 1})`,
    );
    expect(refusal({ ...sms, texts: { en: { body: 'b', subject: 's' } } })).toBe('en subject: an SMS has no subject');
    expect(refusal({ ...mail, texts: { da: { body: 'b' } } })).toBe('da subject: an e-mail text needs a subject');
    expect(refusal({ ...mail, texts: { en: mail.texts.en! } })).toMatch(/^the default language da needs a text/);
    expect(refusal({ ...mail, name: 'bad name' })).toMatch(/^name "bad name" must be/);
    expect(refusal({ ...mail, texts: { ...mail.texts, en: { subject: 'a\nb', body: 'b' } } })).toMatch(/^en subject: one line/);
    expect(refusal({ ...mail, texts: { ...mail.texts, de: { subject: 's', body: 'b' } } as NotifyTemplate['texts'] })).toMatch(
      /^language "de" must be one of/,
    );
  });

  test("the task's language, else the request's, else the template's default", () => {
    expect(chooseLanguage(mail, ['en', 'da'])).toBe('en');
    expect(chooseLanguage(mail, ['sv', 'en'])).toBe('en'); // no Swedish text: the request's
    expect(chooseLanguage(mail, ['fi', 'sv'])).toBe('da'); // neither: the default
    expect(chooseLanguage(mail, [undefined, undefined])).toBe('da');
    expect(chooseLanguage(mail, ['EN-gb'])).toBe('en');
    expect(chooseLanguage({ ...mail, texts: { ...mail.texts, nb: { subject: 's', body: 'b' } } }, ['no'])).toBe('nb');
  });

  test('a reference is a message that is exactly template:NAME', () => {
    expect(templateRef('template:welcome')).toBe('welcome');
    expect(templateRef('  template:welcome\n')).toBe('welcome');
    expect(templateRef('see template:welcome')).toBeUndefined();
    expect(templateRef('Sign at ${taskUrl}')).toBeUndefined();
    expect(fillOwn('${language}/${service}/${taskUrl}', { language: 'da', service: 'demo' })).toBe('da/demo/${taskUrl}');
  });

  test('createRequest refuses an unknown text or one of the other channel, naming the element', () => {
    const n = (type: 'EMAIL' | 'SMS', message: string) => ({ notificationId: 'n', type, recipient: 'x', message });
    const r = {
      task: [{ id: 't', documentAction: [], notification: [n('EMAIL', 'template:welcome'), n('SMS', 'template:welcome')] }],
      notification: [n('EMAIL', 'template:nope')],
    } as unknown as SigningRequest;
    let err: unknown;
    try {
      checkTemplateRefs(notificationsOf([r]), new Map([['welcome', 'EMAIL']]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).violations).toEqual([
      {
        path: 'request[0]/notification[0]/message',
        rule: '"template:nope" names no notification text of this service (segl notify-text list)',
      },
      { path: 'request[0]/task[0]/notification[1]/message', rule: 'notification text "welcome" is for EMAIL, not SMS' },
    ]);
  });

  test('the preview fills in sample values in each language the template has', () => {
    const p = previewTemplate(mail, 'demo', 'https://sign.example');
    expect(p.map((x) => x.language)).toEqual(['en', 'da']);
    expect(p[1]!.body).toMatch(/^Underskriv på https:\/\/sign\.example\/std\/docaction\/demo\?request_id=\w+&task_id=task-1 \(da, demo\)$/);
    expect(p[1]!.subject).toBe('Underskriv venligst');
  });
});
