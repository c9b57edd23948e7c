// A signer in the portal over plain HTTP, as a browser would be (the forms' own hidden inputs, the
// segl_portal cookie carried along, 303s followed), for tests that drive segl processes they cannot
// reach into: the test eID login with a key-card code, the CPR step, each document opened, Send in,
// sign/start and sign/confirm. The key-card codes come from a TestIdEnvironment on the same database.
import type { TestIdEnvironment } from '../../src/eid/testid/users';

const unescape = (s: string): string =>
  s.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
const attr = (tag: string, name: string): string | undefined => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? unescape(m[1]!) : undefined;
};

export interface Form {
  id?: string;
  action: string;
  fields: Array<[string, string]>;
}

/** The page's forms: action, and every input with a name and a value (hidden ones and prefilled text). */
export function formsOf(html: string): Form[] {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)].map((m) => ({
    id: attr(m[1]!, 'id'),
    action: attr(m[1]!, 'action') ?? '',
    fields: [...m[2]!.matchAll(/<input\b[^>]*>/g)].flatMap((i) => {
      const name = attr(i[0], 'name');
      const value = attr(i[0], 'value');
      return name !== undefined && value !== undefined && !/type="checkbox"/.test(i[0]) ? [[name, value] as [string, string]] : [];
    }),
  }));
}

export interface Answer {
  status: number;
  location?: string;
  html: string;
  url: string;
}

/** A page's visible text, shortened, for error messages. */
export const pageText = (html: string): string =>
  html
    .replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);

/** Picks the form posting to `…/{name}?`. */
export const step =
  (name: string) =>
  (f: Form): boolean =>
    new RegExp(`/${name}\\?`).test(f.action);

/** The URL and body of the page's form chosen by `pick`, its own fields plus `typed`. */
export function formBody(page: Answer, pick: (f: Form) => boolean, typed: Record<string, string>, what: string): [string, URLSearchParams] {
  const f = formsOf(page.html).find(pick);
  if (!f) throw new Error(`${what}: no such form on ${page.url}: ${pageText(page.html)}`);
  const body = new URLSearchParams(f.fields);
  for (const [k, v] of Object.entries(typed)) body.set(k, v);
  return [new URL(f.action, page.url).toString(), body];
}

export class BrowserLike {
  private cookie = '';
  constructor(
    private readonly origin: string,
    private readonly userAgent = 'segl-test (node fetch)',
  ) {}

  async request(method: 'GET' | 'POST', url: string, body?: URLSearchParams): Promise<Answer> {
    const abs = new URL(url, this.origin).toString();
    const res = await fetch(abs, {
      method,
      redirect: 'manual',
      body,
      headers: {
        'accept-language': 'en',
        'user-agent': this.userAgent,
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
    });
    for (const c of res.headers.getSetCookie()) if (c.startsWith('segl_portal=')) this.cookie = c.split(';')[0]!;
    return { status: res.status, location: res.headers.get('location') ?? undefined, html: await res.text(), url: abs };
  }

  /** GET, following 303s as a browser does; the final page must be 200. */
  async open(url: string, what: string): Promise<Answer> {
    let a = await this.request('GET', url);
    for (let i = 0; a.status === 303 && a.location && i < 5; i++) a = await this.request('GET', a.location);
    if (a.status !== 200) throw new Error(`${what}: GET ${a.url} answered ${a.status}: ${pageText(a.html)}`);
    return a;
  }

  /** Submits the page's form (chosen by `pick`) with its own fields plus `typed`; follows a 303. */
  async submit(page: Answer, pick: (f: Form) => boolean, typed: Record<string, string>, what: string): Promise<Answer> {
    const a = await this.request('POST', ...formBody(page, pick, typed, what));
    if (a.status === 303 && a.location) return this.open(a.location, what);
    if (a.status !== 200) throw new Error(`${what}: POST ${a.url} answered ${a.status}: ${pageText(a.html)}`);
    return a;
  }
}

export interface PortalSigner {
  alias: string;
  password: string;
  cpr: string;
}

/** The unused code of the key number a page asks for, from the signer's key cards. */
export async function keyCardCode(testid: TestIdEnvironment, alias: string, page: Answer, what: string): Promise<string> {
  const n = /key number (\d+)/.exec(page.html)?.[1];
  if (!n) throw new Error(`${what}: no key number on ${page.url}: ${pageText(page.html)}`);
  for (const card of await testid.keyCards(alias)) {
    const hit = card.codes.find((c) => c.keyNumber === n && !c.used);
    if (hit) return hit.code;
  }
  throw new Error(`${what}: no unused code for key ${n} of ${alias}`);
}

/**
 * Everything a signer does before the final Sign: the task URL, login and code, the CPR step when
 * asked, each document opened (`raw` ones also downloaded whole), Send in, sign/start. Returns the
 * browser and the sign/confirm form ready to be posted.
 */
export async function prepareSigning(
  origin: string,
  testid: TestIdEnvironment,
  u: PortalSigner,
  task: { service: string; requestId: string; taskId: string; documents: string[]; raw?: string[] },
): Promise<{ browser: BrowserLike; confirm: [string, URLSearchParams] }> {
  const s = new BrowserLike(origin);
  const q = `request_id=${encodeURIComponent(task.requestId)}&task_id=${encodeURIComponent(task.taskId)}`;
  const taskUrl = `/std/docaction/${task.service}?${q}`;
  let p = await s.open(taskUrl, 'task URL');
  p = await s.submit(p, step('login'), { user: u.alias, password: u.password }, 'login');
  p = await s.submit(p, step('login/code'), { code: await keyCardCode(testid, u.alias, p, 'login code'), do: 'next' }, 'login code');
  if (formsOf(p.html).some(step('cpr'))) p = await s.submit(p, step('cpr'), { cpr: `${u.cpr.slice(0, 6)}-${u.cpr.slice(6)}` }, 'CPR');
  for (const doc of task.documents) await s.open(`/std/docaction/${task.service}/document?${q}&document_id=${doc}`, `document ${doc}`);
  for (const doc of task.raw ?? []) await s.open(`/std/docaction/${task.service}/document/raw?${q}&document_id=${doc}`, `${doc} (bytes)`);
  p = await s.open(taskUrl, 'wizard');
  p = await s.submit(p, (f) => f.id === 'sendin', { do: 'sendin' }, 'Send in');
  if (!/\/sign\?/.test(p.url)) throw new Error(`Send in: expected the sign page, got ${p.url}: ${pageText(p.html)}`);
  p = await s.submit(p, step('sign/start'), {}, 'sign/start');
  const confirm = formBody(
    p,
    step('sign/confirm'),
    { password: u.password, code: await keyCardCode(testid, u.alias, p, 'signing code'), do: 'next' },
    'sign/confirm',
  );
  return { browser: s, confirm };
}
