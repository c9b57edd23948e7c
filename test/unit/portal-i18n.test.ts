// The portal's texts in all five languages (issue 10, item 19): counted texts come in proper plural
// forms chosen by the language's rules, never as "signature(s)"; every language has its own wording.
import { LANGUAGES, TEXTS, tn } from '../../src/portal/i18n';

describe('portal texts', () => {
  test('no text in any language writes a plural as "(s)", "(er)", "(ta)" …', () => {
    const hacks = LANGUAGES.flatMap((l) =>
      Object.entries(TEXTS[l])
        .filter(([, v]) => /\w\((s|er|e|r|n|ta|a)\)/.test(v))
        .map(([k, v]) => `${l} ${k}: ${v}`),
    );
    expect(hacks).toEqual([]);
  });

  test('waiting.count: one and other in each language, by Intl.PluralRules', () => {
    expect(LANGUAGES.map((l) => [l, tn(l, 'waiting.count', 1), tn(l, 'waiting.count', 3)])).toEqual([
      ['en', '1 signature is still missing before yours.', '3 signatures are still missing before yours.'],
      ['da', 'Der mangler stadig 1 underskrift før din.', 'Der mangler stadig 3 underskrifter før din.'],
      ['nb', 'Det mangler fortsatt 1 signatur før din.', 'Det mangler fortsatt 3 signaturer før din.'],
      ['sv', '1 signatur saknas fortfarande före din.', '3 signaturer saknas fortfarande före din.'],
      ['fi', 'Ennen sinua puuttuu vielä 1 allekirjoitus.', 'Ennen sinua puuttuu vielä 3 allekirjoitusta.'],
    ]);
  });

  test('the texts of this issue are translated (not English) in da, nb, sv and fi', () => {
    const keys = [
      'waiting.body',
      'done.signed.title',
      'done.signed.body',
      'done.sent.title',
      'done.sent.body',
      'sealing.title',
      'sealing.body',
      'sealing.refused.title',
      'sealing.refused.body',
      'sealing.reload',
      'code.signTitle',
      'sign.confirm',
      'doc.truncated',
      'doc.downloadWhole',
      'form.tooLarge.title',
      'form.tooLarge.body',
      'form.bad.title',
      'form.bad.body',
      'request.bad.title',
      'request.bad.body',
      'upload.none',
      'package.name',
      'package.waiting.title',
      'package.waiting.body',
      'package.waiting.after',
      'package.failed.title',
      'package.failed.body',
    ] as const;
    const untranslated = (['da', 'nb', 'sv', 'fi'] as const).flatMap((l) =>
      keys.filter((k) => !TEXTS[l][k] || TEXTS[l][k] === TEXTS.en[k]).map((k) => `${l} ${k}`),
    );
    expect(untranslated).toEqual([]);
    // the placeholders survive translation
    for (const l of LANGUAGES)
      expect([l, TEXTS[l]['doc.truncated'].includes('{size}') && TEXTS[l]['doc.truncated'].includes('{shown}')]).toEqual([l, true]);
  });
});
