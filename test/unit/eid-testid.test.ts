// The test eID's pure parts: CPR numbers, autofill data, key cards, sealing.
import { cprBirthDate, cprProblem, normaliseCpr } from '../../src/eid/cprnumber';
import { cvrProblem, randomCvr, ridProblem } from '../../src/eid/cvrnumber';
import { keyFromSecret, open, openWithPassphrase, seal, sealWithPassphrase } from '../../src/util/secretbox';
import { autofill, randomCpr } from '../../src/eid/testid/autofill';
import { codeMatches, generateKeyCard, KEY_CARD_SIZE, openKeyCard, sealKeyCard } from '../../src/eid/testid/keycard';
import { cprKey } from '../../src/store/cpr';

const NOW = new Date('2025-12-01T12:00:00Z');

describe('CPR numbers', () => {
  test('shape: 10 digits, the dash optional', () => {
    expect(normaliseCpr('010170-1234')).toBe('0101701234');
    expect(normaliseCpr(' 0101701234 ')).toBe('0101701234');
    expect(normaliseCpr('01017-01234')).toBeUndefined();
    expect(normaliseCpr('010170123')).toBeUndefined();
    expect(cprProblem('abc', NOW)).toMatch(/10 digits/);
  });

  test('the date part must be a real date; the 7th digit fixes the century', () => {
    expect(cprBirthDate('0101701234')?.toISOString().slice(0, 10)).toBe('1970-01-01');
    expect(cprBirthDate('2902004123')?.toISOString().slice(0, 10)).toBe('2000-02-29'); // 4 and YY ≤ 36 → 2000s
    expect(cprBirthDate('2902001123')).toBeUndefined(); // 1900 was no leap year
    expect(cprBirthDate('0101585123')?.getUTCFullYear()).toBe(1858); // 5–8 and YY > 57 → 1800s
    expect(cprBirthDate('0101109123')?.getUTCFullYear()).toBe(2010);
    expect(cprBirthDate('0101409123')?.getUTCFullYear()).toBe(1940);
    expect(cprProblem('3102701234', NOW)).toMatch(/date part 310270 .* not a valid date/);
    expect(cprProblem('0113701234', NOW)).toMatch(/not a valid date/);
    expect(cprProblem('0000701234', NOW)).toMatch(/not a valid date/);
    expect(cprProblem('0101304123', NOW)).toMatch(/future/); // 2030
    expect(cprProblem('010170-1234', NOW)).toBeUndefined();
  });

  test('autofill: valid data every time, a CPR with a past date', () => {
    for (let i = 0; i < 500; i++) {
      const d = autofill(NOW);
      expect(cprProblem(d.cpr, NOW)).toBeUndefined();
      expect(cprBirthDate(d.cpr)!.getTime()).toBeLessThan(NOW.getTime());
      expect(d.alias).toMatch(/^[a-z0-9._-]{3,32}$/);
      expect(d.alias).toMatch(/[a-z]/);
      expect(d.password.length).toBeGreaterThanOrEqual(8);
      expect(d.address).toMatch(/^\S.* \d+, \d{4} \S/);
      expect(d.firstName && d.lastName).toBeTruthy();
    }
    const years = new Set(Array.from({ length: 300 }, () => cprBirthDate(randomCpr(NOW))!.getUTCFullYear() >= 2000));
    expect(years).toEqual(new Set([true, false])); // both centuries come out
  });
});

describe('key cards', () => {
  const dataKey = keyFromSecret('x'.repeat(32), 'data');
  const macKey = keyFromSecret('x'.repeat(32), 'mac');

  test('148 distinct 4-digit key numbers with 6-digit codes; sealed and opened again', () => {
    const card = generateKeyCard();
    expect(card.cardId).toMatch(/^\d{10}$/);
    expect(card.codes).toHaveLength(KEY_CARD_SIZE);
    expect(new Set(card.codes.map((c) => c.keyNumber)).size).toBe(KEY_CARD_SIZE);
    card.codes.forEach((c) => {
      expect(c.keyNumber).toMatch(/^\d{4}$/);
      expect(c.code).toMatch(/^\d{6}$/);
    });
    const stored = sealKeyCard(card, dataKey, macKey);
    expect(stored.codes).not.toContain(card.codes[0]!.code);
    expect(openKeyCard(card.cardId, stored.codes, dataKey)).toEqual(card.codes);
    expect(() => openKeyCard('0000000000', stored.codes, dataKey)).toThrow(/cannot be decrypted/); // bound to its card id
    const [k] = card.codes;
    const m = stored.macs.find((x) => x.keyNumber === k!.keyNumber)!.mac;
    expect(codeMatches(macKey, card.cardId, k!.keyNumber, k!.code, m)).toBe(true);
    expect(codeMatches(macKey, card.cardId, k!.keyNumber, String((Number(k!.code) + 1) % 1e6).padStart(6, '0'), m)).toBe(false);
    expect(codeMatches(macKey, card.cardId, k!.keyNumber, `${k!.code} `, m)).toBe(false);
  });
});

describe('sealing', () => {
  test('AES-256-GCM with additional data: the wrong key, row or bytes give nothing', () => {
    const key = keyFromSecret('s'.repeat(32), 'p');
    const sealed = seal(key, '0101701234', 'pid-1');
    expect(sealed).not.toContain('0101701234');
    expect(seal(key, '0101701234', 'pid-1')).not.toBe(sealed); // random IV
    expect(open(key, sealed, 'pid-1')).toBe('0101701234');
    expect(open(key, sealed, 'pid-2')).toBeUndefined();
    expect(open(keyFromSecret('s'.repeat(32), 'q'), sealed, 'pid-1')).toBeUndefined();
    // one character of the sealed bytes changed (the one before the last, which is always data, not padding bits)
    const i = sealed.length - 2;
    const flipped = sealed.slice(0, i) + (sealed[i] === 'A' ? 'B' : 'A') + sealed.slice(i + 1);
    expect(flipped).not.toBe(sealed);
    expect(open(key, flipped, 'pid-1')).toBeUndefined();
  });

  test('passphrase sealing (scrypt) round-trips and refuses another secret', async () => {
    const sealed = await sealWithPassphrase('one-secret-of-32-characters-long!', 'PEM', 'aad');
    expect(await openWithPassphrase('one-secret-of-32-characters-long!', sealed, 'aad')).toBe('PEM');
    expect(await openWithPassphrase('another-secret-of-32-characters!!', sealed, 'aad')).toBeUndefined();
  });

  test('the CPR key: SEGL_CPR_KEY, else HKDF of the secret, else a key for this process only', () => {
    const k = Buffer.alloc(32, 7);
    expect(cprKey({ env: { SEGL_CPR_KEY: k.toString('base64') }, secret: 'x'.repeat(32) })).toEqual({ key: k, source: 'SEGL_CPR_KEY' });
    expect(() => cprKey({ env: { SEGL_CPR_KEY: 'c2hvcnQ=' } })).toThrow(/32 bytes/);
    expect(cprKey({ env: {}, secret: 'x'.repeat(32) }).key).toEqual(keyFromSecret('x'.repeat(32), 'segl cpr_number v1'));
    expect(cprKey({ env: { SEGL_SECRET: 'y'.repeat(32) } }).source).toBe('SEGL_SECRET');
    expect(cprKey({ env: {} }).source).toBe('ephemeral');
  });
});

describe('CVR numbers and RIDs (employee users)', () => {
  test('modulus 11 with weights 2 7 6 5 4 3 2 1: real CVR numbers pass, a changed digit fails', () => {
    expect(cvrProblem('34051178')).toBeUndefined(); // Digitaliseringsstyrelsen
    expect(cvrProblem('20921897')).toBeUndefined();
    expect(cvrProblem('34051179')).toMatch(/modulus-11/);
    expect(cvrProblem('12345678')).toMatch(/modulus-11/);
    expect(cvrProblem('1234567')).toMatch(/8 digits/);
    expect(cvrProblem('3405117a')).toMatch(/8 digits/);
    expect(cvrProblem('04051178')).toMatch(/start with 0/);
  });

  test('RIDs are 1–16 digits', () => {
    expect(ridProblem('4711')).toBeUndefined();
    expect(ridProblem('1234567890123456')).toBeUndefined();
    expect(ridProblem('12345678901234567')).toMatch(/1–16 digits/);
    expect(ridProblem('')).toMatch(/1–16 digits/);
    expect(ridProblem('47-11')).toMatch(/1–16 digits/);
  });

  test('random CVR numbers and employee autofill are always valid', () => {
    for (let i = 0; i < 500; i++) expect(cvrProblem(randomCvr((n) => Math.floor(Math.random() * n)))).toBeUndefined();
    const d = autofill(NOW, 'employee');
    expect(d.kind).toBe('employee');
    expect(cvrProblem(d.cvr!)).toBeUndefined();
    expect(ridProblem(d.rid!)).toBeUndefined();
    expect(d.organisation).toMatch(/\S/);
    expect(autofill(NOW).cvr).toBeUndefined();
  });
});
