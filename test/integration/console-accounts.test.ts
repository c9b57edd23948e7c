// Console accounts, operators, the TOTP second factor and the service password change
// (src/console/accounts.ts, docs/console.md), on each database with real Redis, over HTTP as a browser
// sends it: the accounts made with the real CLI (bin/segl.js console-user), the codes computed by
// Debian's oathtool from the key the enrolment page shows. Every refusal is checked to change nothing.
import { execFileSync } from 'node:child_process';
import { ConsoleAccountRepository } from '../../src/store/consoleaccounts';
import { ConsoleQueries } from '../../src/store/consolequeries';
import { runSegl } from '../support/cli';
import { envelope, NS, post } from '../support/soap';
import { databases, startServer, type TestServer } from '../support/server';

const OPERATOR_PASSWORD = 'Qm7vK2xR9tLw4pZc8NhY';

/** A browser: a cookie jar, no redirects followed, the last page's CSRF token; its own source address. */
class Clerk {
  readonly jar = new Map<string, string>();
  csrf = '';
  constructor(
    readonly base: string,
    readonly ip: string,
  ) {}

  async req(method: string, path: string, form?: Record<string, string>) {
    const r = await fetch(`${this.base}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '),
        'x-forwarded-for': this.ip,
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form && new URLSearchParams(form).toString(),
    });
    for (const c of r.headers.getSetCookie()) {
      const [kv, ...attrs] = c.split(';');
      const [k, v] = kv!.split('=') as [string, string];
      if (attrs.some((a) => a.trim() === 'Max-Age=0')) this.jar.delete(k);
      else this.jar.set(k, v);
    }
    const text = await r.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
    if (token) this.csrf = token;
    return { status: r.status, text, location: r.headers.get('location') ?? '' };
  }

  get(path: string) {
    return this.req('GET', path);
  }

  post(path: string, form: Record<string, string> = {}) {
    return this.req('POST', path, { _csrf: this.csrf, ...form });
  }

  /** A POST whose 303 is followed by one GET (as a browser does), for the next form's token; the POST's answer. */
  private async thenFollow(r: { status: number; text: string; location: string }) {
    if (r.status === 303) await this.get(r.location);
    return r;
  }

  async login(service: string, password: string, username?: string) {
    await this.get('/console?lang=en');
    return this.thenFollow(
      await this.post('/console/login?lang=en', { service, password, ...(username === undefined ? {} : { username }) }),
    );
  }

  async operator(password: string) {
    await this.get('/console/operator?lang=en');
    return this.thenFollow(await this.post('/console/operator?lang=en', { password }));
  }

  get signedIn(): boolean {
    return this.jar.has('segl_console');
  }
}

/** The code an authenticator shows `offsetSteps` steps from now, from oath-toolkit (not segl's own TOTP). */
const code = (secret: string, offsetSteps = 0) =>
  execFileSync('oathtool', ['--totp', '--base32', '-N', `@${Math.floor(Date.now() / 1000) + offsetSteps * 30}`, secret], {
    encoding: 'utf8',
  }).trim();
const wrong = (c: string) => String((Number(c) + 500_000) % 1_000_000).padStart(6, '0');
const secretOf = (page: string) => /secret=([A-Z2-7]+)/.exec(page)?.[1];

describe.each(databases())('console accounts, operators, TOTP and the password (%s)', (db) => {
  let s: TestServer;
  let env: NodeJS.ProcessEnv;
  let accounts: ConsoleAccountRepository;
  const ids: Record<string, string> = {};
  let ipNo = 0;
  const clerk = () => new Clerk(s.url, `198.51.100.${++ipNo}`);
  const segl = (...args: string[]) => runSegl(env, ...args);
  const passwords: Record<string, string> = {};

  async function create(service: string, password: string, reference: string): Promise<string> {
    const doc = `<document xsi:type="provided-document" id="d" mime-type="text/plain"><data>${Buffer.from('x').toString('base64')}</data><description>d</description></document>`;
    const task = '<task id="t1"><document-action type="sign"><document-ref>d</document-ref></document-action></task>';
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>${service}</service><password>${password}</password><request>${doc}${task}<client-reference>${reference}</client-reference></request></create-request-request>`,
      ),
    );
    const id = /<request-id>([^<]+)</.exec(r.text)?.[1];
    if (!id) throw new Error(r.text);
    return id;
  }
  const statusOf = async (service: string, id: string) =>
    (await s.rt.documents.requests.getStatus((await s.rt.services.find(service))!, [id])).map((x) => x.taskStatus);
  const demoId = async () => (await s.rt.services.find('demo'))!.id;
  const historyOf = async (service: string, id: string) =>
    (await new ConsoleQueries(s.rt.db).history((await s.rt.services.find(service))!.id, id)).length;

  beforeAll(async () => {
    s = await startServer(db, { SEGL_ADMIN_PASSWORD: OPERATOR_PASSWORD, SEGL_TRUSTED_PROXIES: 'loopback' });
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: s.dataDir,
      LOG_LEVEL: 'warn',
      ...(s.rt.config.databaseUrl ? { DATABASE_URL: s.rt.config.databaseUrl } : {}),
    };
    accounts = new ConsoleAccountRepository(s.rt.db, s.rt.config.secret);
    await s.rt.services.create('other', 'other-password-1');
    for (const ref of ['a', 'b', 'c']) ids[ref] = await create('demo', s.demoPassword, ref);
    ids.theirs = await create('other', 'other-password-1', 'theirs');
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
  });

  test('segl console-user: add prints a password once (only its hash is stored), list, role, remove; bad input changes nothing', async () => {
    for (const [user, role] of [
      ['vera', 'viewer'],
      ['max', 'manager'],
      ['tess', 'manager'],
      ['gone', 'viewer'],
    ] as const) {
      const r = await segl('console-user', 'add', 'demo', user, '--role', role);
      expect([r.code, r.stderr]).toEqual([0, 'Hand it over now: segl keeps only its hash and cannot show it again.\n']);
      const m = /^console user (\w+) of demo added \((\w+)\)\npassword: ([\w-]{24})\n$/.exec(r.stdout);
      expect(m?.slice(1, 3)).toEqual([user, role]);
      passwords[user] = m![3]!;
    }
    const rows = JSON.stringify(await s.rt.db.query('SELECT * FROM console_account'));
    expect(rows).not.toContain(passwords.vera);
    expect(rows).toContain('scrypt$');
    const before = rows;
    const refused = [
      [['console-user', 'add', 'demo', 'vera'], 'segl: service "demo" already has a console user "vera"\n'],
      [['console-user', 'add', 'nosuch', 'x'], 'segl: no service "nosuch"\n'],
      [['console-user', 'add', 'demo', 'Bad Name!'], /^segl: user name "Bad Name!" must match/],
      [['console-user', 'add', 'demo', 'x', '--role', 'admin'], 'segl: role must be one of viewer, manager\n'],
      [['console-user', 'role', 'demo', 'vera', 'owner'], 'segl: role must be one of viewer, manager\n'],
      [['console-user', 'remove', 'other', 'vera'], 'segl: service "other" has no console user "vera"\n'],
    ] as const;
    for (const [args, message] of refused) {
      const r = await segl(...args);
      expect(r.code).toBe(1);
      if (typeof message === 'string') expect(r.stderr).toBe(message);
      else expect(r.stderr).toMatch(message);
    }
    expect(JSON.stringify(await s.rt.db.query('SELECT * FROM console_account'))).toBe(before);
    expect(await segl('console-user', 'role', 'demo', 'gone', 'manager')).toMatchObject({
      code: 0,
      stdout: 'console user gone of demo is now manager\n',
    });
    const list = await segl('console-user', 'list', 'demo');
    expect(
      list.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t').slice(0, 4)),
    ).toEqual([
      ['demo', 'gone', 'manager', 'password only'],
      ['demo', 'max', 'manager', 'password only'],
      ['demo', 'tess', 'manager', 'password only'],
      ['demo', 'vera', 'viewer', 'password only'],
    ]);
    expect(list.stdout).not.toContain(passwords.vera);
    expect((await segl('console-user', 'list', 'other')).stdout).toBe('no console users\n');
  }, 120_000);

  test('a viewer reads but every action is refused (403) and changes nothing; a manager withdraws', async () => {
    const vera = clerk();
    expect(await vera.login('demo', 'wrong-password', 'vera')).toMatchObject({ status: 401 });
    expect(await vera.login('other', passwords.vera!, 'vera')).toMatchObject({ status: 401 }); // another service's name
    expect(await vera.login('demo', passwords.vera!, 'nobody')).toMatchObject({ status: 401 });
    expect(vera.signedIn).toBe(false);
    expect(await vera.login('demo', passwords.vera!, 'VERA')).toMatchObject({ status: 303, location: '/console?lang=en' });
    const list = await vera.get('/console?lang=en');
    expect(list.text).toContain(ids.a);
    expect(list.text).not.toContain(ids.theirs);
    expect((await vera.get(`/console/requests/${ids.a}?lang=en`)).status).toBe(200);
    const account = await vera.get('/console/account?lang=en');
    expect(account.text).toContain('demo/vera');
    expect(account.text).toContain('viewer (reads requests)');
    expect(account.text).not.toContain('/console/account/password'); // no password form for a viewer
    const history = await historyOf('demo', ids.a!);
    const refusal = await vera.post(`/console/requests/${ids.a}/withdraw?lang=en`);
    expect(refusal.status).toBe(403);
    expect(refusal.text).toContain('Your role may read');
    expect(await statusOf('demo', ids.a!)).toEqual(['created']);
    expect(await historyOf('demo', ids.a!)).toBe(history);
    const pw = await vera.post('/console/account/password?lang=en', {
      current: s.demoPassword,
      password: 'x-new-pass-1',
      password2: 'x-new-pass-1',
    });
    expect(pw.status).toBe(403);
    expect(await s.rt.services.authenticate('demo', s.demoPassword)).not.toBeNull();
    // last login recorded
    expect((await accounts.list('demo')).find((a) => a.username === 'vera')?.lastLoginAt).toBeDefined();

    const max = clerk();
    expect((await max.login('demo', passwords.max!, 'max')).status).toBe(303);
    expect(await max.post(`/console/requests/${ids.a}/withdraw?lang=en`)).toMatchObject({ status: 303 });
    expect(await statusOf('demo', ids.a!)).toEqual(['deleted']);
  });

  test("a session follows its account: a role change applies at the next request, a removed account's session ends", async () => {
    const gone = clerk();
    expect((await gone.login('demo', passwords.gone!, 'gone')).status).toBe(303);
    expect((await gone.get('/console/account?lang=en')).text).toContain('manager (reads and acts)');
    expect((await segl('console-user', 'role', 'demo', 'gone', 'viewer')).code).toBe(0);
    expect((await gone.post(`/console/requests/${ids.b}/withdraw?lang=en`)).status).toBe(403);
    expect(await statusOf('demo', ids.b!)).toEqual(['created']);
    expect((await segl('console-user', 'remove', 'demo', 'gone')).code).toBe(0);
    const after = await gone.get('/console?lang=en');
    expect(after.text).toContain('Your session has ended');
    expect(gone.signedIn).toBe(false);
    expect((await gone.login('demo', passwords.gone!, 'gone')).status).toBe(401);
  });

  test('an operator signs in with the /admin password, picks a service and sees only that one', async () => {
    const op = clerk();
    expect((await op.operator('not-the-password')).status).toBe(401);
    expect(op.signedIn).toBe(false);
    expect(await op.operator(OPERATOR_PASSWORD)).toMatchObject({ status: 303, location: '/console/services?lang=en' });
    expect(await op.get('/console?lang=en')).toMatchObject({ status: 303, location: '/console/services?lang=en' });
    const picker = await op.get('/console/services?lang=en');
    expect(picker.text).toContain('Open demo');
    expect(picker.text).toContain('Open other');
    expect((await op.post('/console/services?lang=en', { service: 'nosuch' })).status).toBe(404);
    expect(await op.post('/console/services?lang=en', { service: 'other' })).toMatchObject({ status: 303, location: '/console?lang=en' });
    const list = await op.get('/console?lang=en');
    expect(list.text).toContain(ids.theirs);
    expect(list.text).not.toContain(ids.b);
    // within other's session, demo's request is not there: page, download and withdraw
    expect((await op.get(`/console/requests/${ids.b}?lang=en`)).status).toBe(404);
    expect((await op.get(`/console/requests/${ids.b}/tasks/t1/documents/d/original`)).status).toBe(404);
    const history = await historyOf('demo', ids.b!);
    expect((await op.post(`/console/requests/${ids.b}/withdraw?lang=en`)).status).toBe(404);
    expect(await statusOf('demo', ids.b!)).toEqual(['created']);
    expect(await historyOf('demo', ids.b!)).toBe(history);
    // switching: now demo's and not other's
    expect((await op.post('/console/services?lang=en', { service: 'demo' })).status).toBe(303);
    const demo = await op.get('/console?lang=en');
    expect(demo.text).toContain(ids.b);
    expect(demo.text).not.toContain(ids.theirs);
    expect((await op.get(`/console/requests/${ids.theirs}?lang=en`)).status).toBe(404);
    expect((await op.get('/console/account?lang=en')).text).toContain('operator (every service)');
    // a service's own session may not pick another service
    const svc = clerk();
    expect((await svc.login('demo', s.demoPassword)).status).toBe(303);
    expect((await svc.get('/console/services?lang=en')).status).toBe(403);
    expect((await svc.post('/console/services?lang=en', { service: 'other' })).status).toBe(403);
    expect((await svc.get('/console?lang=en')).text).not.toContain(ids.theirs);
  });

  test('TOTP for an account: enrol (confirmed by a code), then the code after the password; a wrong or replayed code is refused', async () => {
    const max = clerk();
    expect((await max.login('demo', passwords.max!, 'max')).status).toBe(303);
    expect((await max.get('/console/account?lang=en')).text).toContain('Off: signing in asks only for the password.');
    expect(await max.post('/console/account/totp?lang=en', { action: 'start' })).toMatchObject({
      status: 303,
      location: '/console/account/totp?lang=en',
    });
    const enrol = await max.get('/console/account/totp?lang=en');
    expect(enrol.text).toMatch(
      /href="otpauth:\/\/totp\/segl%20demo:demo%2Fmax\?secret=[A-Z2-7]{32}&amp;issuer=segl%20demo&amp;algorithm=SHA1&amp;digits=6&amp;period=30"/,
    );
    const secret = secretOf(enrol.text)!;
    expect(enrol.text.replace(/ /g, '')).toContain(secret); // the key as text too
    // stored sealed, not in clear
    const stored = JSON.stringify(await s.rt.db.query("SELECT totp_secret FROM console_account WHERE username = 'max'"));
    expect(stored).not.toContain(secret);
    expect(stored).toContain('v1.');
    // not on before a code confirms it: the next sign-in asks no code
    expect((await clerk().login('demo', passwords.max!, 'max')).location).toBe('/console?lang=en');
    expect((await max.post('/console/account/totp?lang=en', { action: 'confirm', code: wrong(code(secret)) })).status).toBe(400);
    expect(
      await accounts.totpOn({ serviceId: await demoId(), accountId: (await accounts.list('demo')).find((a) => a.username === 'max')!.id }),
    ).toBe(false);
    const confirmed = code(secret);
    expect(await max.post('/console/account/totp?lang=en', { action: 'confirm', code: confirmed })).toMatchObject({
      status: 303,
      location: '/console/account?lang=en&done=totp-on',
    });
    expect((await max.get('/console/account?lang=en&done=totp-on')).text).toContain('The second factor is on.');

    const again = clerk();
    expect(await again.login('demo', passwords.max!, 'max')).toMatchObject({ status: 303, location: '/console/login/code?lang=en' });
    expect(again.signedIn).toBe(false);
    expect((await again.get('/console?lang=en')).text).toContain('Sign in to the back office'); // no session before the code
    expect((await again.get('/console/login/code?lang=en')).text).toContain('The 6-digit code your authenticator app shows');
    const bad = await again.post('/console/login/code?lang=en', { code: wrong(code(secret)) });
    expect([bad.status, bad.text.includes('The code is wrong or was used already.')]).toEqual([401, true]);
    // the code that confirmed the enrolment was used: refused as a replay
    expect((await again.post('/console/login/code?lang=en', { code: confirmed })).status).toBe(401);
    expect(again.signedIn).toBe(false);
    const next = code(secret, 1); // the next step's code (accepted within ±1 step)
    expect(await again.post('/console/login/code?lang=en', { code: next })).toMatchObject({ status: 303, location: '/console?lang=en' });
    expect(again.signedIn).toBe(true);
    expect((await again.get('/console?lang=en')).text).toContain(ids.b);
    // the same code again, in a new sign-in: refused
    const replay = clerk();
    expect((await replay.login('demo', passwords.max!, 'max')).location).toBe('/console/login/code?lang=en');
    expect((await replay.post('/console/login/code?lang=en', { code: next })).status).toBe(401);
    expect(replay.signedIn).toBe(false);
    // a code form without the pending sign-in's token: refused
    expect((await replay.post('/console/login/code?lang=en', { code: code(secret, -1), _csrf: 'forged' })).status).toBe(403);
  }, 60_000);

  test('wrong codes are throttled, and five end the sign-in', async () => {
    const tess = (await accounts.list('demo')).find((a) => a.username === 'tess')!;
    const owner = { serviceId: tess.serviceId, accountId: tess.id };
    const key = await accounts.startTotp(owner);
    const { base32Encode } = await import('../../src/util/totp');
    const secret = base32Encode(key);
    expect(await accounts.useCode(owner, code(secret), 'confirm')).toBe(true);
    const c = clerk();
    expect((await c.login('demo', passwords.tess!, 'tess')).location).toBe('/console/login/code?lang=en');
    for (let i = 0; i < 4; i++) expect((await c.post('/console/login/code?lang=en', { code: wrong(code(secret, 1)) })).status).toBe(401);
    const fifth = await c.post('/console/login/code?lang=en', { code: wrong(code(secret, 1)) });
    expect([fifth.status, fifth.text.includes('Too many wrong codes. Sign in again.')]).toEqual([401, true]);
    // that sign-in is over: even the right code does not open a session now
    expect((await c.post('/console/login/code?lang=en', { code: code(secret, 1) })).status).toBe(401);
    expect(c.signedIn).toBe(false);
    // past five failures the next code is answered only after a back-off (the LoginThrottle of every login)
    expect((await c.login('demo', passwords.tess!, 'tess')).location).toBe('/console/login/code?lang=en');
    const t0 = Date.now();
    expect((await c.post('/console/login/code?lang=en', { code: wrong(code(secret, 1)) })).status).toBe(401);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
    // and the right one still gets in (slowed, not locked out)
    expect((await c.post('/console/login/code?lang=en', { code: code(secret, 1) })).status).toBe(303);
    expect(c.signedIn).toBe(true);
    // a lost authenticator: the operator turns it off from the CLI
    expect(await segl('console-user', 'reset-totp', 'demo', 'tess')).toMatchObject({ code: 0 });
    expect((await clerk().login('demo', passwords.tess!, 'tess')).location).toBe('/console?lang=en');
  }, 60_000);

  test("TOTP for the service's own login: asked in the console only; SOAP keeps the password alone", async () => {
    const svc = clerk();
    expect((await svc.login('demo', s.demoPassword)).status).toBe(303);
    await svc.post('/console/account/totp?lang=en', { action: 'start' });
    const secret = secretOf((await svc.get('/console/account/totp?lang=en')).text)!;
    expect((await svc.post('/console/account/totp?lang=en', { action: 'confirm', code: code(secret) })).status).toBe(303);
    const c = clerk();
    expect((await c.login('demo', s.demoPassword)).location).toBe('/console/login/code?lang=en');
    expect((await c.post('/console/login/code?lang=en', { code: code(secret, 1) })).status).toBe(303);
    expect((await c.get('/console/account?lang=en')).text).toContain('On: signing in asks for a code');
    expect(typeof (await create('demo', s.demoPassword, 'soap-still-works'))).toBe('string');
    // turning it off needs a current, unused code
    expect((await c.post('/console/account/totp?lang=en', { action: 'off', code: code(secret, 1) })).status).toBe(400);
    expect((await c.post('/console/account/totp?lang=en', { action: 'off', code: 'abc' })).status).toBe(400);
    expect(await accounts.totpOn({ serviceId: await demoId() })).toBe(true);
    expect(await segl('console-user', 'reset-totp', 'demo')).toMatchObject({
      code: 0,
      stdout: 'second factor of the service login of demo is off\n',
    });
    expect((await clerk().login('demo', s.demoPassword)).location).toBe('/console?lang=en');
  }, 60_000);

  test("a manager changes the service's password: SOAP takes only the new one, the other console sessions end", async () => {
    const me = clerk();
    expect((await me.login('demo', s.demoPassword)).status).toBe(303);
    const others = [clerk(), clerk()];
    expect((await others[0]!.login('demo', passwords.vera!, 'vera')).status).toBe(303);
    expect((await others[1]!.operator(OPERATOR_PASSWORD)).status).toBe(303);
    await others[1]!.post('/console/services?lang=en', { service: 'demo' });
    const bystander = clerk();
    expect((await bystander.login('other', 'other-password-1')).status).toBe(303);
    await me.get('/console/account?lang=en');
    const next = 'the-new-demo-password-9';
    const refusals = [
      [{ current: 'not-it', password: next, password2: next }, 403, 'The current password is wrong.'],
      [{ current: s.demoPassword, password: next, password2: `${next}x` }, 400, 'The two new passwords differ.'],
      [{ current: s.demoPassword, password: 'short', password2: 'short' }, 400, 'The new password must have at least 8 characters.'],
    ] as const;
    for (const [form, status, message] of refusals) {
      const r = await me.post('/console/account/password?lang=en', form);
      expect([r.status, r.text.includes(message), r.text.includes('Nothing was changed.')]).toEqual([status, true, true]);
      expect(await s.rt.services.authenticate('demo', s.demoPassword)).not.toBeNull();
    }
    expect(await me.post('/console/account/password?lang=en', { current: s.demoPassword, password: next, password2: next })).toMatchObject({
      status: 303,
      location: '/console/account?lang=en&done=password',
    });
    // SOAP at once: the old password is refused, the new one works
    await expect(create('demo', s.demoPassword, 'old-password')).rejects.toThrow(/service or password is wrong/);
    expect(typeof (await create('demo', next, 'new-password'))).toBe('string');
    // this session goes on; the service's other sessions (account, operator) have ended; another service's has not
    expect((await me.get('/console?lang=en')).text).toContain(ids.b);
    for (const o of others) expect((await o.get('/console?lang=en')).text).toContain('Your session has ended');
    expect((await bystander.get('/console?lang=en')).text).toContain(ids.theirs);
    expect((await clerk().login('demo', s.demoPassword)).status).toBe(401);
    expect((await clerk().login('demo', next)).status).toBe(303);
  }, 60_000);
});
