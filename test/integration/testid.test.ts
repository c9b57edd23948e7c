// The test eID environment on a real segl (SQLite and PostgreSQL): test users, key cards, nemid
// login and nemid-sign authorisation, certificate revoke/lock/unlock with OCSP, the transaction log,
// and PID-CPR (match, lookup, stored CPR encrypted at rest, purge).
import type { ServiceAccount } from '../../src/core/ports';
import { PidCprService } from '../../src/eid/pidcpr';
import { KEY_CARD_SIZE } from '../../src/eid/testid/keycard';
import {
  MAX_FAILURES,
  TestIdEnvironment,
  testIdFromRuntime,
  type Challenge,
  type Failure,
  type TestUser,
} from '../../src/eid/testid/users';
import { CprRepository } from '../../src/store/cpr';
import { ocspRevocationSource } from '../../src/trust/validation/revocation';
import { verifyXmlSignature } from '../../src/trust/validation/process';
import { createNativeSignature } from '../../src/trust/xades/native';
import { databases, startServer, type TestServer } from '../support/server';

const isFailure = (x: unknown): x is Failure => (x as Failure).ok === false;

describe.each(databases())('test eID environment on %s', (db) => {
  let s: TestServer;
  let env: TestIdEnvironment;
  let ann: TestUser;
  const PASSWORD = 'ann-password-1';

  /** The code on the user's card for the challenge's key number (what the person reads off the card). */
  const codeFor = async (user: string, c: Challenge) => {
    const cards = await env.keyCards(user);
    return cards.find((k) => k.cardId === c.cardId)!.codes.find((k) => k.keyNumber === c.keyNumber)!.code;
  };
  const challenge = async (user: string, password = PASSWORD) => {
    const c = await env.startLogin(user, password);
    if (isFailure(c)) throw new Error(`login refused: ${c.message}`);
    return c;
  };
  const newUser = async (alias: string) => env.createUser({ ...env.autofill(), alias, password: PASSWORD });

  beforeAll(async () => {
    s = await startServer(db);
    env = testIdFromRuntime(s.rt);
    ann = await env.createUser({
      alias: 'ann',
      password: PASSWORD,
      firstName: 'Ann',
      lastName: 'Berg',
      cpr: '010170-1234',
      address: 'Vestergade 1, 8000 Aarhus C',
    });
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
  });

  test('an employee (MOCES-style): organisation, CVR and RID in the certificate and the login; one per CVR-RID; listed; bad ones refused', async () => {
    const draft = {
      ...env.autofill('employee'),
      alias: 'emil',
      password: PASSWORD,
      organisation: 'Testfirma ApS',
      cvr: '20921897',
      rid: '7',
    };
    const emil = await env.createUser(draft);
    expect(emil.employee).toEqual({ organisation: 'Testfirma ApS', cvr: '20921897', rid: '7' });
    expect(emil.certificate.subject).toContain('O=Testfirma ApS // CVR:20921897');
    expect(emil.certificate.subject).toContain('CVR:20921897-RID:7');
    expect(emil.certificate.subject).not.toContain('PID:');
    expect(await (await s.rt.ca()).status(emil.certificate.serial)).toEqual({ status: 'good' });
    for (const id of ['emil', 'CVR:20921897-RID:7', 'cvr:20921897-rid:7']) expect((await env.user(id))?.id).toBe(emil.id);
    expect(await env.user('CVR:20921897-RID:8')).toBeNull();
    expect((await env.employees()).map((u) => u.alias)).toEqual(['emil']);

    const again = { ...env.autofill('employee'), alias: 'emil2', cvr: '20921897', rid: '7' };
    await expect(env.createUser(again)).rejects.toMatchObject({ code: 'employee-taken' });
    for (const [over, why] of [
      [{ cvr: '20921898' }, /modulus-11/],
      [{ rid: 'x7' }, /RID/],
      [{ organisation: 'A // CVR:1' }, /organisation/],
    ] as const) {
      await expect(env.createUser({ ...env.autofill('employee'), alias: 'emil3', ...over })).rejects.toMatchObject({
        code: 'invalid',
        message: expect.stringMatching(why),
      });
    }
    expect(await env.user('emil2')).toBeNull();
    expect(await env.user('emil3')).toBeNull();

    const c = await challenge('CVR:20921897-RID:7');
    const who = await env.answer(c.challengeId, await codeFor('emil', c));
    expect(who).toMatchObject({ ok: true, alias: 'emil', employee: { organisation: 'Testfirma ApS', cvr: '20921897', rid: '7' } });
  });

  test('a user has a PID, a POCES certificate from the test CA and a key card; found by alias, CPR and PID', async () => {
    expect(ann).toMatchObject({ alias: 'ann', name: 'Ann Berg', cpr: '0101701234', locked: false, failedAttempts: 0 });
    expect(ann.pid).toMatch(/^9208-2002-2-\d{12}$/);
    expect(ann.certificate.subject).toContain('CN=Ann Berg');
    expect(ann.certificate.subject).toContain(`PID:${ann.pid}`);
    expect(await (await s.rt.ca()).status(ann.certificate.serial)).toEqual({ status: 'good' });
    for (const id of ['ann', 'ANN', '0101701234', '010170-1234', ann.pid, `PID:${ann.pid}`]) expect((await env.user(id))?.id).toBe(ann.id);
    expect(await env.user('nobody')).toBeNull();
    expect(await env.user('0202701234')).toBeNull();
    const [card, ...more] = await env.keyCards('ann');
    expect(more).toEqual([]);
    expect(card).toMatchObject({ inUse: true, remaining: KEY_CARD_SIZE });
    expect(card!.codes).toHaveLength(KEY_CARD_SIZE);
    // nothing readable at rest: no plaintext CPR, code or key in the user's or the card's row
    const [row] = await s.rt.db.query(`SELECT * FROM test_user WHERE alias = 'ann'`);
    expect(JSON.stringify(row)).not.toContain('0101701234');
    expect(row.private_key).toMatch(/^v1\.[\w-]+$/); // AES-256-GCM under an HKDF key
    expect(row.private_key).not.toContain('PRIVATE KEY');
    expect(row.password_hash).toMatch(/^scrypt\$/);
    const [cardRow] = await s.rt.db.query(`SELECT codes FROM key_card WHERE id = '${card!.cardId}'`);
    expect(cardRow.codes).not.toContain(card!.codes[0]!.code);
  });

  test('bad input is refused with a reason and creates nothing', async () => {
    const draft = { ...env.autofill(), password: PASSWORD };
    await expect(env.createUser({ ...draft, alias: 'ann' })).rejects.toMatchObject({ code: 'alias-taken' });
    await expect(env.createUser({ ...draft, cpr: '0101701234' })).rejects.toMatchObject({ code: 'cpr-taken' });
    await expect(env.createUser({ ...draft, cpr: '3102701234' })).rejects.toThrow(/date part 310270 .*not a valid date/);
    await expect(env.createUser({ ...draft, cpr: '29027' })).rejects.toThrow(/10 digits/);
    await expect(env.createUser({ ...draft, alias: 'A B' })).rejects.toThrow(/alias/);
    await expect(env.createUser({ ...draft, alias: '12345' })).rejects.toThrow(/letter/);
    await expect(env.createUser({ ...draft, password: 'short' })).rejects.toThrow(/8 characters/);
    expect(await env.user(draft.alias)).toBeNull();
  });

  test('nemid login: password → challenge → code → PID, by alias, CPR and PID; a code works once', async () => {
    for (const id of ['ann', '010170-1234', ann.pid]) {
      const c = await challenge(id);
      expect(c).toMatchObject({ purpose: 'login', cardId: expect.stringMatching(/^\d{10}$/), keyNumber: expect.stringMatching(/^\d{4}$/) });
      const ok = await env.answer(c.challengeId, await codeFor('ann', c));
      expect(ok).toMatchObject({ ok: true, pid: ann.pid, alias: 'ann', name: 'Ann Berg', certificateSerial: ann.certificate.serial });
      expect(await env.answer(c.challengeId, await codeFor('ann', c))).toMatchObject({ ok: false, reason: 'challenge-used' });
      const card = (await env.keyCards('ann')).find((k) => k.cardId === c.cardId)!;
      expect(card.codes.find((k) => k.keyNumber === c.keyNumber)).toMatchObject({ used: true });
    }
    expect((await env.keyCards('ann'))[0]!.remaining).toBe(KEY_CARD_SIZE - 3);
    expect(await env.startLogin('ann', 'wrong-password')).toMatchObject({
      ok: false,
      reason: 'wrong-password',
      attemptsLeft: MAX_FAILURES - 1,
    });
    expect(await env.startLogin('nobody', PASSWORD)).toMatchObject({ ok: false, reason: 'unknown-user' });
    expect(await env.answer('no-such-challenge', '123456')).toMatchObject({ ok: false, reason: 'challenge-unknown' });
    // a success clears the count of consecutive failures
    const c = await challenge('ann');
    await env.answer(c.challengeId, await codeFor('ann', c));
    expect((await env.user('ann'))!.failedAttempts).toBe(0);
  });

  test('challenges expire after 5 minutes', async () => {
    const short = new TestIdEnvironment({ db: s.rt.db, ca: s.rt.ca, secret: s.rt.config.secret!, challengeTtlMs: 1 });
    const c = await short.startLogin('ann', PASSWORD);
    if (isFailure(c)) throw new Error(c.message);
    await new Promise((r) => setTimeout(r, 10));
    expect(await short.answer(c.challengeId, await codeFor('ann', c))).toMatchObject({ ok: false, reason: 'challenge-expired' });
    const fresh = await challenge('ann');
    expect(Date.parse(fresh.expiresAt) - Date.now()).toBeGreaterThan(4 * 60_000);
    expect(Date.parse(fresh.expiresAt) - Date.now()).toBeLessThanOrEqual(5 * 60_000);
  });

  test('5 wrong codes/passwords in a row lock the user; unlock resets', async () => {
    await newUser('bob');
    let c: Challenge = await challenge('bob');
    for (let i = 1; i < MAX_FAILURES; i++) {
      const r = await env.answer(c.challengeId, '000000');
      expect(r).toMatchObject({ ok: false, reason: 'wrong-code', attemptsLeft: MAX_FAILURES - i, next: { purpose: 'login' } });
      c = (r as Failure).next!;
    }
    const last = await env.answer(c.challengeId, '000000');
    expect(last).toMatchObject({ ok: false, reason: 'user-locked', message: expect.stringMatching(/locked after 5 wrong attempts/) });
    expect((last as Failure).next).toBeUndefined();
    expect(await env.startLogin('bob', PASSWORD)).toMatchObject({ ok: false, reason: 'user-locked' });
    expect(await env.signingChallenge('bob')).toMatchObject({ ok: false, reason: 'user-locked' });
    expect(await env.user('bob')).toMatchObject({ locked: true, failedAttempts: MAX_FAILURES });
    await env.unlockUser('bob');
    expect(await env.user('bob')).toMatchObject({ locked: false, failedAttempts: 0 });
    // wrong passwords count too, and mixed with wrong codes
    for (let i = 0; i < 3; i++) await env.startLogin('bob', 'nope-nope');
    const c2 = await challenge('bob');
    expect(await env.answer(c2.challengeId, '999999')).toMatchObject({ reason: 'wrong-code', attemptsLeft: 1 });
    expect(await env.startLogin('bob', 'nope-nope')).toMatchObject({ ok: false, reason: 'user-locked' });
    await env.unlockUser('bob');
    const c3 = await challenge('bob');
    expect(await env.answer(c3.challengeId, await codeFor('bob', c3))).toMatchObject({ ok: true });
  });

  test('a new key card is issued when 20 codes are left; the old one is used up first', async () => {
    await newUser('carl');
    const [card] = await env.keyCards('carl');
    const keep = card!.codes.slice(0, 21).map((k) => k.keyNumber);
    const used = card!.codes.map((k) => k.keyNumber).filter((k) => !keep.includes(k));
    await s.rt.db.query(
      `UPDATE key_code SET used_at = '2025-01-01T00:00:00.000Z' WHERE card_id = '${card!.cardId}' AND key_number IN (${used.map((k) => `'${k}'`).join(', ')})`,
    );
    expect((await env.keyCards('carl'))[0]!.remaining).toBe(21);
    const c = await challenge('carl');
    expect(c.cardId).toBe(card!.cardId);
    expect(keep).toContain(c.keyNumber);
    await env.answer(c.challengeId, await codeFor('carl', c)); // 20 left → a new card
    const cards = await env.keyCards('carl');
    expect(cards.map((k) => [k.cardId === card!.cardId, k.inUse, k.remaining])).toEqual([
      [true, true, 20],
      [false, false, KEY_CARD_SIZE],
    ]);
    const c2 = await challenge('carl');
    expect(c2.cardId).toBe(card!.cardId); // the old card until it is used up
    await env.answer(c2.challengeId, await codeFor('carl', c2));
    expect((await env.keyCards('carl')).length).toBe(2); // no third card while the new one is full
    expect((await env.log('carl')).filter((e) => e.type === 'card-issued')).toHaveLength(2);
  });

  test('nemid-sign: password + code release the central key; OCSP says good; revoke and lock show in TestCa and OCSP', async () => {
    const ca = await s.rt.ca();
    const dora = await newUser('dora');
    const sc = await env.signingChallenge(dora.pid);
    if (isFailure(sc)) throw new Error(sc.message);
    expect(sc.purpose).toBe('sign');
    // a login challenge does not authorise a signature, nor a wrong password (the challenge stays open)
    const lc = await challenge('dora');
    expect(await env.authoriseSigning('dora', PASSWORD, lc.challengeId, await codeFor('dora', lc))).toMatchObject({
      reason: 'challenge-unknown',
    });
    expect(await env.authoriseSigning('dora', 'bad-password', sc.challengeId, await codeFor('dora', sc))).toMatchObject({
      reason: 'wrong-password',
    });
    const auth = await env.authoriseSigning(dora.pid, PASSWORD, sc.challengeId, await codeFor('dora', sc));
    if (isFailure(auth)) throw new Error(auth.message);
    expect(auth).toMatchObject({ pid: dora.pid, certificateStatus: 'good' });
    expect(auth.identity.certificate.toString('pem')).toBe(dora.certificate.pem);
    expect(auth.chain.map((c) => c.subject)).toEqual([ca.pki.personCa.certificate.subject, ca.pki.root.certificate.subject]);
    expect(await env.authoriseSigning(dora.pid, PASSWORD, sc.challengeId, await codeFor('dora', sc))).toMatchObject({
      reason: 'challenge-used',
    });

    // the key signs, and the signature passes verification with a live OCSP answer
    const revocation = ocspRevocationSource({ fetch: (_url, der) => ca.ocsp(der) });
    const signAndVerify = async (identity: typeof auth.identity) => {
      const xml = await createNativeSignature({
        signer: identity,
        signText: 'I agree.',
        documents: [{ id: 'd1', description: 'Text', mimeType: 'text/plain', bytes: Buffer.from('hello\n') }],
      });
      return verifyXmlSignature(xml, { anchors: [ca.pki.root.certificate], intermediates: [ca.pki.personCa.certificate], revocation });
    };
    const good = await signAndVerify(auth.identity);
    expect(good.indication).toBe('TOTAL-PASSED');
    expect(good.revocation?.[0]?.status.status).toBe('good');

    expect(await env.certificateAction('dora', 'revoke')).toBe('revoked');
    expect(await ca.status(dora.certificate.serial)).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
    expect(await env.certificateState('dora')).toBe('revoked');
    await expect(env.certificateAction('dora', 'unlock')).rejects.toThrow(/revocation is final/);
    expect((await signAndVerify(auth.identity)).indication).not.toBe('TOTAL-PASSED');
    const sc2 = (await env.signingChallenge('dora')) as Challenge;
    expect(await env.authoriseSigning('dora', PASSWORD, sc2.challengeId, await codeFor('dora', sc2))).toMatchObject({
      ok: true,
      certificateStatus: 'revoked',
    });

    const eve = await newUser('eve');
    expect(await env.certificateAction('eve', 'lock')).toBe('locked');
    expect(await ca.status(eve.certificate.serial)).toMatchObject({ status: 'revoked', reason: 'certificateHold' });
    expect(await env.certificateAction('eve', 'unlock')).toBe('good');
    expect(await ca.status(eve.certificate.serial)).toEqual({ status: 'good' });
  }, 60_000);

  test('the transaction log records what happened, newest first, with times', async () => {
    const log = await env.log('dora');
    const types = log.map((e) => e.type).reverse();
    expect(types).toEqual([
      'created',
      'card-issued',
      'signing-failed',
      'password-wrong',
      'signing-failed',
      'code-used',
      'signing-authorised',
      'signing-failed',
      'certificate-revoked',
      'code-used',
      'signing-authorised',
    ]);
    log.forEach((e) => expect(Number.isNaN(Date.parse(e.time))).toBe(false));
    expect(log.find((e) => e.type === 'certificate-revoked')!.detail).toBe(`certificate ${(await env.user('dora'))!.certificate.serial}`);
    const bob = (await env.log('bob')).map((e) => e.type);
    expect(bob).toEqual(
      expect.arrayContaining(['code-wrong', 'user-locked', 'user-unlocked', 'login-failed', 'password-wrong', 'login-ok', 'code-used']),
    );
    expect((await env.log('eve')).map((e) => e.type).slice(0, 2)).toEqual(['certificate-unlocked', 'certificate-locked']);
  });

  describe('PID-CPR', () => {
    let privateSvc: ServiceAccount;
    let publicSvc: ServiceAccount;
    let pidcpr: PidCprService;
    beforeAll(async () => {
      privateSvc = await s.rt.services.create('shop', 'shop-password-1', false);
      publicSvc = (await s.rt.services.find('demo'))!; // the demo service is public
      expect(publicSvc.public).toBe(true);
      pidcpr = new PidCprService({ db: s.rt.db, register: env, secret: s.rt.config.secret, clock: s.rt.clock });
    });

    test("match (the default): the typed CPR must be the PID's", async () => {
      expect(await pidcpr.modeOf(privateSvc)).toBe('match');
      expect(await pidcpr.modeOf(publicSvc)).toBe('match');
      expect(await pidcpr.begin(privateSvc, ann.pid)).toMatchObject({ ok: false, reason: 'ask-user' });
      expect(await pidcpr.match(privateSvc, ann.pid, '010170-1234')).toEqual({
        ok: true,
        cpr: '0101701234',
        source: 'typed',
        stored: false,
      });
      expect(await pidcpr.match(privateSvc, ann.pid, '0101701235')).toMatchObject({
        ok: false,
        reason: 'mismatch',
        message: expect.stringMatching(/does not belong/),
      });
      expect(await pidcpr.match(privateSvc, ann.pid, '3201701234')).toMatchObject({ ok: false, reason: 'invalid-cpr' });
      expect(await pidcpr.match(privateSvc, '9208-2002-2-000000000000', '0101701234')).toMatchObject({ ok: false, reason: 'unknown-pid' });
      expect(await pidcpr.begin(privateSvc, ann.pid)).toMatchObject({ reason: 'ask-user' }); // nothing stored without consent
    });

    test('lookup only for public services', async () => {
      expect(await pidcpr.lookup(privateSvc, ann.pid)).toMatchObject({ ok: false, reason: 'not-public' });
      await expect(pidcpr.setMode(privateSvc, 'lookup')).rejects.toThrow(/not public/);
      expect(await pidcpr.lookup(publicSvc, ann.pid)).toEqual({ ok: true, cpr: '0101701234', source: 'lookup', stored: false });
      await pidcpr.setMode(publicSvc, 'lookup');
      expect(await pidcpr.modeOf(publicSvc)).toBe('lookup');
      expect(await pidcpr.begin(publicSvc, ann.pid)).toMatchObject({ ok: true, cpr: '0101701234', source: 'lookup' });
      expect(await pidcpr.modeOf({ ...publicSvc, public: false })).toBe('match'); // no longer public: back to match
      await pidcpr.setMode(publicSvc, 'match');
    });

    test('a stored CPR skips the step, is encrypted at rest, and goes after 3 months unused', async () => {
      expect(await pidcpr.match(privateSvc, ann.pid, '0101701234', { store: true })).toMatchObject({ ok: true, stored: true });
      const [row] = await s.rt.db.query(`SELECT * FROM cpr_number WHERE pid = '${ann.pid}'`);
      expect(row.cpr).not.toContain('0101701234');
      expect(row.cpr).toMatch(/^v1\./);
      expect(await pidcpr.begin(privateSvc, ann.pid)).toEqual({ ok: true, cpr: '0101701234', source: 'stored', stored: true });
      // another process with the same secret reads it; a different key does not
      expect(await new CprRepository(s.rt.db, { secret: s.rt.config.secret }).use(ann.pid, new Date().toISOString())).toBe('0101701234');
      expect(await new CprRepository(s.rt.db, { key: Buffer.alloc(32, 1) }).use(ann.pid, new Date().toISOString())).toBeUndefined();
      // a row copied to another PID does not decrypt (the PID is bound in)
      await s.rt.db.query(
        `INSERT INTO cpr_number (pid, cpr, created_at, last_used_at) VALUES ('copy', '${row.cpr}', '${row.created_at}', '${row.last_used_at}')`,
      );
      expect(await pidcpr.cpr.use('copy', new Date().toISOString())).toBeUndefined();
      // purge: used now → kept at +91 days, gone after 3 months
      const day = 86_400_000;
      expect(await pidcpr.cpr.purgeUnused(new Date(Date.now() - 91 * day).toISOString())).toBe(0);
      expect(await pidcpr.cpr.purgeUnused(new Date(Date.now() + day).toISOString())).toBe(2);
      expect(await pidcpr.begin(privateSvc, ann.pid)).toMatchObject({ reason: 'ask-user' });
      // consent withdrawn
      await pidcpr.match(privateSvc, ann.pid, '0101701234', { store: true });
      expect(await pidcpr.forget(ann.pid)).toBe(true);
      expect(await pidcpr.begin(privateSvc, ann.pid)).toMatchObject({ reason: 'ask-user' });
    });

    test("the runtime's CPR store (timers) round-trips too", async () => {
      await s.rt.cpr.remember('PID:x', '0202702345', new Date().toISOString());
      expect(await s.rt.cpr.use('PID:x', new Date().toISOString())).toBe('0202702345');
      const [row] = await s.rt.db.query(`SELECT cpr FROM cpr_number WHERE pid = 'PID:x'`);
      expect(row.cpr).not.toContain('0202702345');
    });
  });

  test('the test-user tool answers bad forms with 413 / 400 pages and creates nothing; never a 500', async () => {
    const home = await fetch(`${s.url}/testid/`);
    const cookie = home.headers.getSetCookie()[0]!.split(';')[0]!;
    const token = /name="csrf" value="([^"]+)"/.exec(await home.text())![1]!;
    const form = 'application/x-www-form-urlencoded';
    const draft = new URLSearchParams({ ...env.autofill(), alias: `bad-${db}`, password: PASSWORD, csrf: token, do: 'create' }).toString();
    const send = (path: string, body: string | Buffer, headers: Record<string, string>) =>
      fetch(`${s.url}${path}`, { method: 'POST', redirect: 'manual', body, headers: { cookie, ...headers } });
    const cases: Array<[string, Promise<Response>, number, string]> = [
      [
        'a 100 KB body',
        send('/testid/users', `${draft}&address=${'x'.repeat(100_000)}`, { 'content-type': form }),
        413,
        'The form was too large',
      ],
      [
        'too many fields',
        send('/testid/users', `${draft}&${Array.from({ length: 100 }, (_, i) => `f${i}=1`).join('&')}`, { 'content-type': form }),
        413,
        'The form was too large',
      ],
      [
        'an unknown charset',
        send('/testid/users', draft, { 'content-type': `${form}; charset=x-unknown` }),
        400,
        'The form could not be read',
      ],
      [
        'UTF-16',
        send('/testid/users', Buffer.from(draft, 'utf16le'), { 'content-type': `${form}; charset=utf-16le` }),
        400,
        'The form could not be read',
      ],
      [
        'an unknown Content-Encoding',
        send('/testid/users', draft, { 'content-type': form, 'content-encoding': 'x-bogus' }),
        400,
        'The form could not be read',
      ],
      [
        'certificate action: too large',
        send('/testid/users/ann/certificate', `csrf=${token}&do=revoke&x=${'y'.repeat(20_000)}`, { 'content-type': form }),
        413,
        'The form was too large',
      ],
      [
        'unlock: bad charset',
        send('/testid/users/ann/unlock', `csrf=${token}&do=unlock`, { 'content-type': `${form}; charset=ebcdic` }),
        400,
        'The form could not be read',
      ],
      [
        'no form (JSON)',
        send('/testid/users/ann/certificate', JSON.stringify({ csrf: token, do: 'revoke' }), { 'content-type': 'application/json' }),
        403,
        'This page has expired',
      ],
    ];
    const main = (html: string) =>
      (/<main[^>]*>([\s\S]*)<\/main>/.exec(html)?.[1] ?? '')
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim();
    for (const [name, pending, status, heading] of cases) {
      const r = await pending;
      const html = await r.text();
      expect([name, r.status, r.headers.get('content-type'), main(html).slice(0, heading.length)]).toEqual([
        name,
        status,
        'text/html; charset=utf-8',
        heading,
      ]);
      expect([name, html]).not.toEqual([name, expect.stringMatching(/\bat .+\.(ts|js):\d+|Error:/)]);
    }
    const path = await fetch(`${s.url}/testid/users/%E0%A4%A`);
    expect([path.status, main(await path.text())]).toEqual([400, expect.stringContaining('We could not find this test user')]);
    expect(await env.user(`bad-${db}`)).toBeNull();
    expect(await env.certificateState('ann')).toBe('good');
  });
});
