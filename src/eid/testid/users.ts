// The NemID-style test eID environment: test users (alias, password, CPR, PID, a personal POCES
// certificate from segl's test CA whose RSA key segl holds centrally), key cards, login
// (`nemid`: user id + password → key-card challenge → code → PID), signing authorisation
// (`nemid-sign`: password + code release the central key), certificate revoke/lock/unlock and a
// transaction log per user. Everything the test-user tool and the portal need, without HTTP.
//
// At rest: the password as a scrypt hash; the CPR sealed (AES-256-GCM, HKDF key from SEGL_SECRET)
// plus an HMAC for lookup; key cards sealed plus an HMAC per code; the private key as PKCS#8 PEM
// sealed (AES-256-GCM) under its own HKDF key from SEGL_SECRET, bound to the PID as additional data.
import { randomBytes, randomInt } from 'node:crypto';
// first: it loads reflect-metadata, which @peculiar/x509 needs before it loads
import { crypto, generateKeys, type CryptoKey } from '../../trust/crypto';
import * as x509 from '@peculiar/x509';
import type { DataSource } from 'typeorm';
import type { Clock } from '../../core/ports';
import type { TestCa } from '../../testca/testca';
import { hashPassword, verifyPassword } from '../../store/services';
import { TestUserStore, type ChallengePurpose, type TestUserRow, type TestUserTx } from '../../store/testusers';
import { serialHex, toPem } from '../../testca/pki';
import type { SigningIdentity } from '../../trust/sources';
import { cprProblem, normaliseCpr } from '../cprnumber';
import { cvrProblem, ridProblem } from '../cvrnumber';
import { keyFromSecret, mac, open, openWithPassphrase, seal } from '../../util/secretbox';
import { autofill, type TestUserDraft } from './autofill';
import { codeMatches, generateKeyCard, KEY_CARD_RENEW_AT, openKeyCard, sealKeyCard, type KeyCardView } from './keycard';

export { autofill, type TestUserDraft };

export const ALIAS = /^[a-z0-9._-]{3,32}$/;
export const PID_PREFIX = '9208-2002-2-';
export const PID = /^9208-2002-2-\d{12}$/;
/** consecutive wrong passwords / codes that lock a user */
export const MAX_FAILURES = 5;
export const CHALLENGE_TTL_MS = 5 * 60_000;
const RSA_IMPORT = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** Bad input to createUser and the tool's actions: `code` for the program, `message` for the person. */
export class TestIdError extends Error {
  constructor(
    readonly code: 'invalid' | 'alias-taken' | 'cpr-taken' | 'employee-taken' | 'unknown-user' | 'certificate',
    message: string,
  ) {
    super(message);
    this.name = 'TestIdError';
  }
}

export type CertificateState = 'good' | 'revoked' | 'locked' | 'unknown';

/** An employee user's organisation: its name, CVR number and the employee's RID (in the MOCES-style certificate). */
export interface Employee {
  organisation: string;
  cvr: string;
  rid: string;
}
/** A user id of the form the employee certificate's serialNumber has: `CVR:<cvr>-RID:<rid>`. */
const CVR_RID = /^CVR:(\d{8})-RID:(\d{1,16})$/i;

/** A test user as the tool shows it (no password, no key). */
export interface TestUser {
  id: number;
  alias: string;
  firstName: string;
  lastName: string;
  name: string;
  cpr: string;
  address: string;
  pid: string;
  /** an employee user (MOCES-style certificate); absent for a personal one (POCES-style) */
  employee?: Employee;
  certificate: { serial: string; pem: string; subject: string; notAfter: string };
  locked: boolean;
  lockedAt?: string;
  failedAttempts: number;
  createdAt: string;
}

/** A key-card challenge: "enter the code for key number …" */
export interface Challenge {
  challengeId: string;
  cardId: string;
  keyNumber: string;
  expiresAt: string;
  purpose: ChallengePurpose;
}

export type FailureReason =
  'unknown-user' | 'wrong-password' | 'user-locked' | 'wrong-code' | 'challenge-unknown' | 'challenge-expired' | 'challenge-used';

export interface Failure {
  ok: false;
  reason: FailureReason;
  /** a sentence for the person */
  message: string;
  /** wrong password / code: tries left before the user is locked */
  attemptsLeft?: number;
  /** wrong code: a fresh challenge to try again with (none once locked) */
  next?: Challenge;
}

export interface Authenticated {
  ok: true;
  userId: number;
  alias: string;
  pid: string;
  name: string;
  certificateSerial: string;
  /** an employee's organisation, CVR number and RID */
  employee?: Employee;
}

export interface SigningAuthorised extends Authenticated {
  /** the signer for SigningPipeline.sign (src/signing/pipeline.ts) / createNativeSignature */
  identity: SigningIdentity;
  /** the issuing CA's and the root's certificates */
  chain: x509.X509Certificate[];
  /** as OCSP reports it now; revoked/locked certificates sign, and the initial verification refuses them */
  certificateStatus: CertificateState;
}

export interface LogEntry {
  time: string;
  type: LogType;
  detail?: string;
}
export type LogType =
  | 'created'
  | 'card-issued'
  | 'login-ok'
  | 'login-failed'
  | 'password-wrong'
  | 'code-used'
  | 'code-wrong'
  | 'user-locked'
  | 'user-unlocked'
  | 'signing-authorised'
  | 'signing-failed'
  | 'certificate-revoked'
  | 'certificate-locked'
  | 'certificate-unlocked';

export interface TestIdDeps {
  db: DataSource;
  ca: () => Promise<TestCa>;
  /** SEGL_SECRET (Runtime.config.secret) */
  secret: string;
  clock?: Clock;
  challengeTtlMs?: number;
}

const MESSAGES: Record<FailureReason, string> = {
  'unknown-user': 'No test user has that user id (alias, CPR number or PID).',
  'wrong-password': 'The user id or the password is wrong.',
  'user-locked': `The test user is locked after ${MAX_FAILURES} wrong attempts. Unlock it in the test-user tool.`,
  'wrong-code': 'The code does not match the key number on the key card.',
  'challenge-unknown': 'The key-card challenge is unknown. Start again.',
  'challenge-expired': 'The key-card challenge has expired. Start again.',
  'challenge-used': 'The key-card challenge has already been answered. Start again.',
};

const fail = (reason: FailureReason, extra: Partial<Failure> = {}): Failure => ({ ok: false, reason, message: MESSAGES[reason], ...extra });

export class TestIdEnvironment {
  readonly store: TestUserStore;
  private readonly clock: Clock;
  private readonly dataKey: Buffer;
  /**
   * Wraps the central private keys. SEGL_SECRET is a high-entropy server secret, not a password, so
   * HKDF suffices; a per-signature scrypt cost ~130 ms for nothing. Keys wrapped earlier under scrypt
   * (`scrypt.` prefix) still open.
   */
  private readonly keyKey: Buffer;
  private readonly macKey: Buffer;
  private readonly ttlMs: number;

  constructor(private readonly deps: TestIdDeps) {
    this.store = new TestUserStore(deps.db);
    this.clock = deps.clock ?? { now: () => new Date() };
    this.dataKey = keyFromSecret(deps.secret, 'segl testid data v1');
    this.keyKey = keyFromSecret(deps.secret, 'segl testid private keys v1');
    this.macKey = keyFromSecret(deps.secret, 'segl testid mac v1');
    this.ttlMs = deps.challengeTtlMs ?? CHALLENGE_TTL_MS;
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
  private cprMac(cpr: string): string {
    return mac(this.macKey, `cpr:${cpr}`);
  }

  /** Valid random test data for the "Autofill" button (an employee's with organisation, CVR and RID). */
  autofill(kind: 'personal' | 'employee' = 'personal'): TestUserDraft {
    return autofill(this.clock.now(), kind);
  }

  // -------------------------------------------------------------------------------------------
  // Users
  // -------------------------------------------------------------------------------------------

  /** Why `d` cannot be a test user, or undefined (the same checks createUser makes, for the form). */
  problem(d: TestUserDraft): string | undefined {
    if (!ALIAS.test(d.alias ?? '')) return 'the alias must be 3–32 characters a–z, 0–9, dot, underscore or dash';
    if (!/[a-z]/.test(d.alias)) return 'the alias must contain a letter (a user id of digits only is read as a CPR number or PID)';
    if (typeof d.password !== 'string' || d.password.length < 8) return 'the password must have at least 8 characters';
    if (!d.firstName?.trim() || !d.lastName?.trim()) return 'first and last name are required';
    if (`${d.firstName} ${d.lastName}`.length > 200) return 'the name is too long';
    const cpr = cprProblem(d.cpr ?? '', this.clock.now());
    if (cpr) return cpr;
    if (!d.address?.trim() || d.address.length > 500) return 'the address is required (at most 500 characters)';
    if (d.kind === 'employee') return this.employeeProblem(d);
    if (d.kind !== undefined && d.kind !== 'personal') return 'the kind must be personal or employee';
    return undefined;
  }

  private employeeProblem(d: TestUserDraft): string | undefined {
    const organisation = typeof d.organisation === 'string' ? d.organisation.trim() : '';
    if (!organisation || organisation.length > 120 || organisation.includes('//'))
      return 'the organisation name is required (at most 120 characters, no "//")';
    return cvrProblem(typeof d.cvr === 'string' ? d.cvr : '') ?? ridProblem(typeof d.rid === 'string' ? d.rid : '');
  }

  /** Creates a test user with a PID, a key pair, a POCES certificate and a key card. */
  async createUser(d: TestUserDraft): Promise<TestUser> {
    const bad = this.problem(d);
    if (bad) throw new TestIdError('invalid', bad);
    const cpr = normaliseCpr(d.cpr)!;
    const firstName = d.firstName.trim();
    const lastName = d.lastName.trim();
    const cprMac = this.cprMac(cpr);
    const employee: Employee | undefined =
      d.kind === 'employee' ? { organisation: d.organisation!.trim(), cvr: d.cvr!.trim(), rid: d.rid!.trim() } : undefined;
    const taken = async (t: TestUserTx) => {
      if (await t.byAlias(d.alias)) throw new TestIdError('alias-taken', `the alias "${d.alias}" is taken`);
      if (await t.byCprMac(cprMac)) throw new TestIdError('cpr-taken', 'a test user with this CPR number exists already');
      if (employee && (await t.byCvrRid(employee.cvr, employee.rid)))
        throw new TestIdError('employee-taken', `an employee with RID ${employee.rid} exists already at CVR ${employee.cvr}`);
    };
    await this.store.tx(taken); // before the expensive part; checked again when inserting
    let pid = '';
    do pid = PID_PREFIX + Array.from({ length: 12 }, () => randomInt(10)).join('');
    while (await this.store.tx((t) => t.byPid(pid)));

    const keys = await generateKeys();
    const ca = await this.deps.ca();
    const cert = await ca.issuePerson({
      commonName: `${firstName} ${lastName}`,
      pid,
      publicKey: keys.publicKey,
      ...(employee ? { kind: 'MOCES' as const, ...employee } : {}),
    });
    const pkcs8 = toPem(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
    const [privateKey, passwordHash] = [seal(this.keyKey, pkcs8, keyAad(pid)), await hashPassword(d.password)];
    const card = sealKeyCard(generateKeyCard(), this.dataKey, this.macKey);
    const now = this.now();
    const id = await this.store.tx(async (t) => {
      await taken(t);
      const userId = await t.insertUser({
        alias: d.alias,
        passwordHash,
        firstName,
        lastName,
        cprMac,
        cpr: seal(this.dataKey, cpr, cprAad(pid)),
        address: d.address.trim(),
        pid,
        certSerial: serialHex(cert),
        certPem: cert.toString('pem'),
        privateKey,
        ...employee,
        createdAt: now,
        updatedAt: now,
      });
      await t.insertCard(userId, card, now);
      await t.log(userId, now, 'created', `PID ${pid}, certificate ${serialHex(cert)}`);
      await t.log(userId, now, 'card-issued', `key card ${card.id}`);
      return userId;
    });
    return this.view((await this.store.tx((t) => t.byId(id)))!);
  }

  private view(u: TestUserRow): TestUser {
    const cert = new x509.X509Certificate(u.certPem);
    const cpr = open(this.dataKey, u.cpr, cprAad(u.pid));
    if (cpr === undefined) throw new Error(`test user ${u.alias}: the CPR number cannot be decrypted (was SEGL_SECRET changed?)`);
    return {
      id: u.id,
      alias: u.alias,
      firstName: u.firstName,
      lastName: u.lastName,
      name: `${u.firstName} ${u.lastName}`,
      cpr,
      address: u.address,
      pid: u.pid,
      ...employeeOf(u),
      certificate: { serial: u.certSerial, pem: u.certPem, subject: cert.subject, notAfter: cert.notAfter.toISOString() },
      locked: !!u.lockedAt,
      lockedAt: u.lockedAt,
      failedAttempts: u.failedAttempts,
      createdAt: u.createdAt,
    };
  }

  /**
   * The row for a user id as a person types it: a PID (with or without `PID:`), a CPR number, an
   * employee's `CVR:<cvr>-RID:<rid>`, or an alias.
   */
  private async row(t: TestUserTx, userId: string): Promise<TestUserRow | null> {
    const s = typeof userId === 'string' ? userId.trim() : '';
    const employee = CVR_RID.exec(s);
    if (employee) return t.byCvrRid(employee[1]!, employee[2]!);
    const pid = s.replace(/^PID:/i, '');
    if (PID.test(pid)) return t.byPid(pid);
    const cpr = normaliseCpr(s);
    if (cpr) return t.byCprMac(this.cprMac(cpr));
    return t.byAlias(s.toLowerCase());
  }

  /** Employee users, newest first (the tool's list). */
  async employees(limit = 50): Promise<TestUser[]> {
    return (await this.store.tx((t) => t.employees(limit))).map((u) => this.view(u));
  }

  /** Looks up a test user by alias, CPR number (with or without dash) or PID. */
  async user(userId: string): Promise<TestUser | null> {
    const u = await this.store.tx((t) => this.row(t, userId));
    return u ? this.view(u) : null;
  }

  private async mustRow(userId: string): Promise<TestUserRow> {
    const u = await this.store.tx((t) => this.row(t, userId));
    if (!u) throw new TestIdError('unknown-user', MESSAGES['unknown-user']);
    return u;
  }

  /** The CPR number of the test user with this PID (the PID-CPR register of the test environment). */
  async cprOfPid(pid: string): Promise<string | undefined> {
    const u = await this.store.tx((t) => t.byPid(pid.replace(/^PID:/i, '')));
    return u ? open(this.dataKey, u.cpr, cprAad(u.pid)) : undefined;
  }

  /** The transaction log, newest first. */
  async log(userId: string, limit = 200): Promise<LogEntry[]> {
    const u = await this.mustRow(userId);
    const rows = await this.store.tx((t) => t.logs(u.id, limit));
    return rows.map((r) => ({ time: r.time, type: r.type as LogType, ...(r.detail ? { detail: r.detail } : {}) }));
  }

  /** Clears the lock and the failure count (the tool's "unlock user"). */
  async unlockUser(userId: string): Promise<void> {
    const u = await this.mustRow(userId);
    const now = this.now();
    await this.store.tx(async (t) => {
      await t.resetFailures(u.id, now, true);
      await t.log(u.id, now, 'user-unlocked');
    });
  }

  // -------------------------------------------------------------------------------------------
  // Key cards
  // -------------------------------------------------------------------------------------------

  /** The user's valid cards (oldest first; exhausted ones left out) with every pair, for the key-card view. */
  async keyCards(userId: string): Promise<KeyCardView[]> {
    const u = await this.mustRow(userId);
    return this.store.tx(async (t) => {
      const cards = (await t.cards(u.id)).filter((c) => c.unused > 0);
      const out: KeyCardView[] = [];
      for (const [i, c] of cards.entries()) {
        const used = await t.usedCodes(c.id);
        out.push({
          cardId: c.id,
          createdAt: c.createdAt,
          inUse: i === 0,
          remaining: c.unused,
          codes: openKeyCard(c.id, c.codes, this.dataKey).map((k) => ({
            ...k,
            used: used.has(k.keyNumber),
            ...(used.has(k.keyNumber) ? { usedAt: used.get(k.keyNumber) } : {}),
          })),
        });
      }
      return out;
    });
  }

  /** A challenge from the oldest card with unused codes (a card is issued if none is left). */
  private async newChallenge(t: TestUserTx, userId: number, purpose: ChallengePurpose, now: Date): Promise<Challenge> {
    let card = (await t.cards(userId)).find((c) => c.unused > 0);
    if (!card) {
      await this.issueCard(t, userId, now.toISOString());
      card = (await t.cards(userId)).find((c) => c.unused > 0)!;
    }
    const numbers = await t.unusedKeyNumbers(card.id);
    const c: Challenge = {
      challengeId: randomBytes(24).toString('base64url'),
      cardId: card.id,
      keyNumber: numbers[randomInt(numbers.length)]!,
      expiresAt: new Date(now.getTime() + this.ttlMs).toISOString(),
      purpose,
    };
    await t.insertChallenge({
      id: c.challengeId,
      userId,
      purpose,
      cardId: c.cardId,
      keyNumber: c.keyNumber,
      createdAt: now.toISOString(),
      expiresAt: c.expiresAt,
    });
    return c;
  }

  private async issueCard(t: TestUserTx, userId: number, now: string): Promise<void> {
    const card = sealKeyCard(generateKeyCard(), this.dataKey, this.macKey);
    await t.insertCard(userId, card, now);
    await t.log(userId, now, 'card-issued', `key card ${card.id}`);
  }

  // -------------------------------------------------------------------------------------------
  // Login and signing
  // -------------------------------------------------------------------------------------------

  /** Counts a failure (and locks at MAX_FAILURES); the failure to return. */
  private async failed(
    t: TestUserTx,
    u: TestUserRow,
    reason: 'wrong-password' | 'wrong-code',
    type: LogType,
    detail: string,
    retry?: ChallengePurpose,
  ): Promise<Failure> {
    const now = this.clock.now();
    const { failed, locked } = await t.recordFailure(u.id, MAX_FAILURES, now.toISOString());
    await t.log(u.id, now.toISOString(), type, `${detail} (${failed} in a row)`);
    if (locked) {
      await t.log(u.id, now.toISOString(), 'user-locked', `${failed} wrong attempts in a row`);
      return fail('user-locked');
    }
    const next = retry ? await this.newChallenge(t, u.id, retry, now) : undefined;
    return fail(reason, { attemptsLeft: MAX_FAILURES - failed, ...(next ? { next } : {}) });
  }

  /** Checks the password (scrypt, outside any transaction); counts a wrong one. */
  private async checkPassword(userId: string, password: string, what: string): Promise<TestUserRow | Failure> {
    const u = await this.store.tx((t) => this.row(t, userId));
    if (!u) {
      await hashPassword(typeof password === 'string' ? password : ''); // same time as a real check
      return fail('unknown-user');
    }
    if (u.lockedAt) return fail('user-locked');
    if (typeof password === 'string' && (await verifyPassword(password, u.passwordHash))) return u;
    return this.store.tx(async (t) => this.failed(t, u, 'wrong-password', 'password-wrong', what));
  }

  /** `nemid` step 1: user id (alias, CPR or PID) and password → a key-card challenge. */
  async startLogin(userId: string, password: string): Promise<Challenge | Failure> {
    const u = await this.checkPassword(userId, password, 'login: wrong password');
    if ('ok' in u) {
      if (u.reason === 'wrong-password' || u.reason === 'user-locked') await this.logFailedLogin(userId, u);
      return u;
    }
    return this.store.tx((t) => this.newChallenge(t, u.id, 'login', this.clock.now()));
  }

  private async logFailedLogin(userId: string, f: Failure): Promise<void> {
    await this.store.tx(async (t) => {
      const u = await this.row(t, userId);
      if (u) await t.log(u.id, this.now(), 'login-failed', f.reason);
    });
  }

  /**
   * Uses the challenge and, when `code` is right, the code. Single use: any answer uses the
   * challenge up; a wrong code counts as a failure and comes back with a fresh challenge.
   */
  private async consume(challengeId: string, code: string, purpose: ChallengePurpose, expectUser?: number): Promise<TestUserRow | Failure> {
    const token = randomBytes(16).toString('hex');
    return this.store.tx(async (t) => {
      const now = this.clock.now();
      const c = typeof challengeId === 'string' ? await t.challenge(challengeId) : null;
      if (!c || c.purpose !== purpose || (expectUser !== undefined && c.userId !== expectUser)) return fail('challenge-unknown');
      if (c.usedAt) return fail('challenge-used');
      if (!(await t.claimChallenge(c.id, token, now.toISOString()))) return fail('challenge-used');
      if (c.expiresAt <= now.toISOString()) return fail('challenge-expired');
      const u = (await t.byId(c.userId))!;
      if (u.lockedAt) return fail('user-locked');
      const stored = await t.code(c.cardId, c.keyNumber);
      if (
        !stored ||
        stored.usedAt ||
        !codeMatches(this.macKey, c.cardId, c.keyNumber, typeof code === 'string' ? code.trim() : '', stored.codeMac)
      ) {
        return this.failed(t, u, 'wrong-code', 'code-wrong', `key card ${c.cardId}, key ${c.keyNumber}`, purpose);
      }
      if (!(await t.useCode(c.cardId, c.keyNumber, c.id, now.toISOString()))) return fail('challenge-used');
      await t.resetFailures(u.id, now.toISOString());
      await t.log(u.id, now.toISOString(), 'code-used', `key card ${c.cardId}, key ${c.keyNumber}`);
      const left = (await t.cards(u.id)).reduce((n, card) => n + card.unused, 0);
      if (left <= KEY_CARD_RENEW_AT) await this.issueCard(t, u.id, now.toISOString());
      return u;
    });
  }

  /** `nemid` step 2: the code for the challenge's key number → authenticated (the PID). */
  async answer(challengeId: string, code: string): Promise<Authenticated | Failure> {
    const r = await this.consume(challengeId, code, 'login');
    if ('ok' in r) {
      const c = await this.store.tx((t) => t.challenge(challengeId));
      if (c) await this.store.tx((t) => t.log(c.userId, this.now(), 'login-failed', r.reason));
      return r;
    }
    await this.store.tx((t) => t.log(r.id, this.now(), 'login-ok', `PID ${r.pid}`));
    return authenticated(r);
  }

  /** `nemid-sign` step 1: a key-card challenge for a signature (the user is known from the login). */
  async signingChallenge(userIdOrPid: string): Promise<Challenge | Failure> {
    const u = await this.store.tx((t) => this.row(t, userIdOrPid));
    if (!u) return fail('unknown-user');
    if (u.lockedAt) return fail('user-locked');
    return this.store.tx((t) => this.newChallenge(t, u.id, 'sign', this.clock.now()));
  }

  /**
   * `nemid-sign` step 2: password and the challenge's code release the user's central key. A wrong
   * password leaves the challenge open; a wrong code uses it up and returns a fresh one.
   */
  async authoriseSigning(userIdOrPid: string, password: string, challengeId: string, code: string): Promise<SigningAuthorised | Failure> {
    const u = await this.checkPassword(userIdOrPid, password, 'signing: wrong password');
    const r = 'ok' in u ? u : await this.consume(challengeId, code, 'sign', u.id);
    if ('ok' in r) {
      const who = await this.store.tx((t) => this.row(t, userIdOrPid));
      if (who) await this.store.tx((t) => t.log(who.id, this.now(), 'signing-failed', r.reason));
      return r;
    }
    const pem = r.privateKey.startsWith('scrypt.')
      ? await openWithPassphrase(this.deps.secret, r.privateKey, keyAad(r.pid))
      : open(this.keyKey, r.privateKey, keyAad(r.pid));
    if (pem === undefined) throw new Error(`test user ${r.alias}: the private key cannot be decrypted (was SEGL_SECRET changed?)`);
    const certificate = new x509.X509Certificate(r.certPem);
    const privateKey = await crypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), RSA_IMPORT, false, ['sign']);
    const publicKey = (await certificate.publicKey.export(RSA_IMPORT as never, ['verify'] as never)) as unknown as CryptoKey;
    const ca = await this.deps.ca();
    const status = await this.certificateStatus(r.certSerial, ca);
    await this.store.tx((t) => t.log(r.id, this.now(), 'signing-authorised', `certificate ${r.certSerial} (${status})`));
    return {
      ...authenticated(r),
      identity: { certificate, keys: { privateKey, publicKey } },
      chain: [ca.pki.personCa.certificate, ca.pki.root.certificate],
      certificateStatus: status,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Certificates
  // -------------------------------------------------------------------------------------------

  private async certificateStatus(serial: string, ca: TestCa): Promise<CertificateState> {
    const s = await ca.status(serial);
    if (s.status !== 'revoked') return s.status;
    return s.reason === 'certificateHold' ? 'locked' : 'revoked';
  }

  /** good / revoked / locked, as OCSP answers for the user's certificate. */
  async certificateState(userId: string): Promise<CertificateState> {
    const u = await this.mustRow(userId);
    return this.certificateStatus(u.certSerial, await this.deps.ca());
  }

  /** Revokes (final), locks (certificateHold) or unlocks the user's certificate; returns the new state. */
  async certificateAction(userId: string, action: 'revoke' | 'lock' | 'unlock'): Promise<CertificateState> {
    const u = await this.mustRow(userId);
    const ca = await this.deps.ca();
    try {
      if (action === 'revoke') await ca.revoke(u.certSerial);
      else if (action === 'lock') await ca.lock(u.certSerial);
      else await ca.unlock(u.certSerial);
    } catch (e) {
      throw new TestIdError('certificate', (e as Error).message);
    }
    const type = ({ revoke: 'certificate-revoked', lock: 'certificate-locked', unlock: 'certificate-unlocked' } as const)[action];
    await this.store.tx((t) => t.log(u.id, this.now(), type, `certificate ${u.certSerial}`));
    return this.certificateStatus(u.certSerial, ca);
  }

  /** Deletes challenges that expired before now (a housekeeping call; expired ones are refused anyway). */
  purgeChallenges(): Promise<number> {
    return this.store.tx((t) => t.deleteExpiredChallenges(this.now()));
  }
}

const keyAad = (pid: string) => `segl-testid-key:v1:${pid}`;
const cprAad = (pid: string) => `segl:test_user.cpr:${pid}`;

const employeeOf = (u: TestUserRow): { employee?: Employee } =>
  u.cvr && u.rid && u.organisation ? { employee: { organisation: u.organisation, cvr: u.cvr, rid: u.rid } } : {};

function authenticated(u: TestUserRow): Authenticated {
  return {
    ok: true,
    userId: u.id,
    alias: u.alias,
    pid: u.pid,
    name: `${u.firstName} ${u.lastName}`,
    certificateSerial: u.certSerial,
    ...employeeOf(u),
  };
}

/** The environment on a running segl (Runtime from src/runtime.ts). */
export function testIdFromRuntime(rt: {
  db: DataSource;
  ca: () => Promise<TestCa>;
  config: { secret?: string };
  clock: Clock;
}): TestIdEnvironment {
  if (!rt.config.secret) throw new Error('the test eID needs SEGL_SECRET (Runtime.config.secret)');
  return new TestIdEnvironment({ db: rt.db, ca: rt.ca, secret: rt.config.secret, clock: rt.clock });
}
