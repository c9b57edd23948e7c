// A first run a newcomer can follow: ready test users (preprod, test eID on) whose passwords are kept
// in DATA_DIR, and `segl demo`: a sample two-signer request with a sample PDF, printing both task URLs.
// `segl demo` needs nothing but DATA_DIR: `segl start` leaves DATA_DIR/instance.json (where it answers,
// its mode; no secrets), and the demo creates its request through that server's SOAP endpoint with
// the service's password, like any client. No database URL (it may carry a password) is written
// anywhere, and the demo opens no database of its own.
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestIdEnvironment, TestUser } from './eid/testid/users';
import { textPdf } from './util/pdf';
import { SEGL_VERSION } from './version';
import { escapeXml } from './util/escape';

export const DEMO_USERS = ['demo-signer', 'demo-cosigner'] as const;

/** The demo's one-page PDF: a few lines of Helvetica (src/util/pdf.ts), without the binary comment as it always was. */
export function samplePdf(lines: string[]): Buffer {
  return textPdf([lines], { binaryComment: false });
}

export interface DemoUser {
  user: TestUser;
  password: string;
}

/** A demo user as `segl demo` reads it from DATA_DIR/test-users.txt. */
export interface DemoUserInfo {
  alias: string;
  password: string;
  cpr: string;
  firstName: string;
  lastName: string;
}

const USERS_FILE = 'test-users.txt';

/** DATA_DIR/test-users.txt: one `alias TAB password TAB cpr TAB first name TAB last name` per line (older files: the first two). */
function readUsersFile(dataDir: string): Map<string, string[]> {
  const file = path.join(dataDir, USERS_FILE);
  return new Map(
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => {
            const f = l.split('\t');
            return [f[0]!, f.slice(1)] as const;
          })
      : [],
  );
}

/** The demo test users: created once, passwords and identities kept in DATA_DIR/test-users.txt (mode 0600). */
export async function ensureDemoUsers(testid: TestIdEnvironment, dataDir: string): Promise<DemoUser[]> {
  const saved = readUsersFile(dataDir);
  const out: DemoUser[] = [];
  for (const alias of DEMO_USERS) {
    const known = await testid.user(alias);
    if (known && saved.has(alias)) {
      const password = saved.get(alias)![0]!;
      saved.set(alias, [password, known.cpr, known.firstName, known.lastName]);
      out.push({ user: known, password });
      continue;
    }
    if (known) continue; // made by hand earlier; its password is not ours to know
    const draft = { ...testid.autofill(), alias };
    const user = await testid.createUser(draft);
    saved.set(alias, [draft.password, user.cpr, user.firstName, user.lastName]);
    out.push({ user, password: draft.password });
  }
  const file = path.join(dataDir, USERS_FILE);
  writeFileSync(file, [...saved].map(([a, f]) => `${[a, ...f].map((x) => x.replace(/[\t\n]/g, ' ')).join('\t')}\n`).join(''), {
    mode: 0o600,
  });
  chmodSync(file, 0o600);
  return out;
}

/** The demo users `segl start` saved, with what a request needs about them. */
export function readDemoUsers(dataDir: string): DemoUserInfo[] {
  const saved = readUsersFile(dataDir);
  const users = DEMO_USERS.map((alias) => {
    const [password, cpr, firstName, lastName] = saved.get(alias) ?? [];
    return password && cpr ? { alias, password, cpr, firstName: firstName ?? '', lastName: lastName ?? '' } : undefined;
  });
  if (users.some((u) => !u)) {
    throw new Error(
      `the demo test users are not (fully) in ${path.join(dataDir, USERS_FILE)}: start segl (preprod, test eID on) with this DATA_DIR once more, it writes them`,
    );
  }
  return users as DemoUserInfo[];
}

/** DATA_DIR/instance.json: where a running `segl start` answers and what it is. Nothing secret. */
export interface InstanceInfo {
  /** the base URL signers use (PUBLIC_URL with the real port) */
  url: string;
  /** where a command on this machine reaches the HTTP server */
  local: string;
  mode: 'preprod' | 'production';
  testEid: boolean;
  database: 'sqlite' | 'postgres';
  pid: number;
  startedAt: string;
  version: string;
}

const INSTANCE_FILE = 'instance.json';

export function writeInstanceInfo(dataDir: string, info: Omit<InstanceInfo, 'version'>): void {
  const file = path.join(dataDir, INSTANCE_FILE);
  writeFileSync(file, `${JSON.stringify({ ...info, version: SEGL_VERSION }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // also when an older file had other bits
}

/** Removes instance.json when it is this process's (a newer instance may have replaced it). */
export function removeInstanceInfo(dataDir: string, pid: number): void {
  const file = path.join(dataDir, INSTANCE_FILE);
  try {
    if ((JSON.parse(readFileSync(file, 'utf8')) as InstanceInfo).pid === pid) rmSync(file, { force: true });
  } catch {
    /* none, or not readable: nothing of ours */
  }
}

export function readInstanceInfo(dataDir: string): InstanceInfo {
  const file = path.join(dataDir, INSTANCE_FILE);
  if (!existsSync(file)) {
    throw new Error(
      `no running segl found: ${file} does not exist. Start segl first (\`npx segl start\`), or set DATA_DIR to the directory the running segl uses`,
    );
  }
  const info = JSON.parse(readFileSync(file, 'utf8')) as InstanceInfo;
  if (typeof info.local !== 'string' || typeof info.url !== 'string') throw new Error(`${file} is not an instance file of segl`);
  return info;
}

/** The base64 of `b` in lines of 76 characters (the XML stays readable in logs and debuggers). */
const b64 = (b: Buffer) => b.toString('base64').replace(/.{76}/g, '$&\n');

/** The createRequest call of the demo: a PDF and a text to sign, the buyer after the seller (depends-on). */
export function demoRequestEnvelope(service: string, password: string, users: DemoUserInfo[]): string {
  const pdf = samplePdf([
    'Sample purchase agreement',
    '',
    'The buyer buys one bicycle for DKK 4,000.',
    'Both parties sign with the segl test eID.',
  ]);
  const terms = Buffer.from('Delivery within 14 days. Payment on delivery.\n');
  const subjects = users.map(
    (u, i) =>
      `<subject id="s${i + 1}"><national-id>${escapeXml(u.cpr)}</national-id><first-name>${escapeXml(u.firstName)}</first-name><last-name>${escapeXml(u.lastName)}</last-name></subject>`,
  );
  const tasks = users.map(
    (_u, i) =>
      `<task id="${i === 0 ? 'seller' : 'buyer'}"><subject-ref>s${i + 1}</subject-ref>` +
      '<dialog><title>Sign the purchase agreement</title><message>Read both documents, then sign with the test eID.</message></dialog>' +
      '<document-action type="sign"><document-ref>agreement</document-ref></document-action><document-action type="sign"><document-ref>terms</document-ref></document-action>' +
      `<authentication><method>nemid</method></authentication>${i === 0 ? '' : '<depends-on-task>seller</depends-on-task>'}` +
      '<signature><method>nemid-sign</method></signature></task>',
  );
  return (
    '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><s:Body>' +
    `<create-request-request xmlns="https://id.signicat.com/definitions/wsdl/Document-v3"><service>${escapeXml(service)}</service><password>${escapeXml(password)}</password>` +
    `<request><language>en</language>${subjects.join('')}` +
    `<document xsi:type="provided-document" id="agreement" mime-type="application/pdf"><data>${b64(pdf)}</data><description>Purchase agreement</description></document>` +
    `<document xsi:type="provided-document" id="terms" mime-type="text/plain"><data>${b64(terms)}</data><description>Terms of sale</description></document>` +
    `${tasks.join('')}<client-reference>segl demo</client-reference></request></create-request-request></s:Body></s:Envelope>`
  );
}

/** Creates the demo request through the running segl's SOAP endpoint; the task URLs are on its public URL. */
export async function createDemoRequest(
  info: InstanceInfo,
  service: string,
  password: string,
  users: DemoUserInfo[],
): Promise<{ requestId: string; tasks: Array<{ taskId: string; alias: string; url: string }> }> {
  const endpoint = `${info.local}/ws/documentservice-v3`;
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
      body: demoRequestEnvelope(service, password, users),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new Error(
      `the segl in this DATA_DIR (pid ${info.pid}, started ${info.startedAt}) does not answer at ${endpoint}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}. Is it still running?`,
    );
  }
  const text = await res.text();
  const requestId = /<(?:\w+:)?request-id>([^<]+)</.exec(text)?.[1];
  if (!res.ok || !requestId) {
    const fault = /<faultstring>([^<]*)</.exec(text)?.[1];
    throw new Error(
      `createRequest at ${endpoint} failed: ${
        fault
          ? fault
              .replace(/&lt;/g, '<')
              .replace(/&gt;/g, '>')
              .replace(/&quot;/g, '"')
              .replace(/&amp;/g, '&')
          : `HTTP ${res.status}`
      }`,
    );
  }
  const taskUrl = (taskId: string) =>
    `${info.url}/std/docaction/${encodeURIComponent(service)}?${new URLSearchParams({ request_id: requestId, task_id: taskId })}`;
  return {
    requestId,
    tasks: users.map((u, i) => {
      const taskId = i === 0 ? 'seller' : 'buyer';
      return { taskId, alias: u.alias, url: taskUrl(taskId) };
    }),
  };
}
