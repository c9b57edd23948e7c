// A first run a newcomer can follow: a ready test user (preprod, test eID on) whose password is kept
// in DATA_DIR, and `segl demo`: a sample two-signer request with a sample PDF, printing both task URLs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DocumentService } from './core/documentservice';
import type { ServiceAccount } from './core/ports';
import type { TestIdEnvironment, TestUser } from './eid/testid/users';

export const DEMO_USERS = ['demo-signer', 'demo-cosigner'] as const;

/** A one-page PDF (ISO 32000-1 §7.5: header, objects, xref table, trailer) with a few lines of Helvetica. */
export function samplePdf(lines: string[]): Buffer {
  const esc = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]/g, '?');
  const content = `BT /F1 20 Tf 72 720 Td 26 TL ${lines.map((l) => `(${esc(l)}) '`).join(' ')} ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.7\n';
  const offsets = objects.map((body, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

export interface DemoUser { user: TestUser; password: string }

/** The demo test users: created once, passwords kept in DATA_DIR/test-users.txt (mode 0600). */
export async function ensureDemoUsers(testid: TestIdEnvironment, dataDir: string): Promise<DemoUser[]> {
  const file = path.join(dataDir, 'test-users.txt');
  const saved = new Map<string, string>(existsSync(file)
    ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t') as [string, string]) : []);
  const out: DemoUser[] = [];
  for (const alias of DEMO_USERS) {
    const known = await testid.user(alias);
    if (known && saved.has(alias)) { out.push({ user: known, password: saved.get(alias)! }); continue; }
    if (known) continue; // made by hand earlier; its password is not ours to know
    const draft = { ...testid.autofill(), alias };
    const user = await testid.createUser(draft);
    saved.set(alias, draft.password);
    out.push({ user, password: draft.password });
  }
  writeFileSync(file, [...saved].map(([a, p]) => `${a}\t${p}\n`).join(''), { mode: 0o600 });
  return out;
}

/** A sample request: a PDF and a text to sign, the co-signer after the signer (depends-on). */
export async function createDemoRequest(
  documents: DocumentService, svc: ServiceAccount, users: DemoUser[], taskUrl: (requestId: string, taskId: string) => string,
): Promise<{ requestId: string; tasks: Array<{ taskId: string; alias: string; url: string }> }> {
  const pdf = samplePdf(['Sample purchase agreement', '', 'The buyer buys one bicycle for DKK 4,000.', 'Both parties sign with the segl test eID.']);
  const subject = (u: DemoUser, id: string) => ({ id, nationalId: u.user.cpr, firstName: u.user.firstName, lastName: u.user.lastName });
  const { requestIds } = await documents.createRequest(svc, [{
    clientReference: 'segl demo', language: 'en',
    subject: users.map((u, i) => subject(u, `s${i + 1}`)),
    document: [
      { kind: 'provided-document', id: 'agreement', mimeType: 'application/pdf', description: 'Purchase agreement', data: new Uint8Array(pdf) },
      { kind: 'provided-document', id: 'terms', mimeType: 'text/plain', description: 'Terms of sale', data: new Uint8Array(Buffer.from('Delivery within 14 days. Payment on delivery.\n')) },
    ],
    task: users.map((u, i) => ({
      id: i === 0 ? 'seller' : 'buyer', subjectRef: `s${i + 1}`,
      dialog: { title: 'Sign the purchase agreement', message: 'Read both documents, then sign with the test eID.' },
      documentAction: [{ type: 'sign', documentRef: 'agreement' }, { type: 'sign', documentRef: 'terms' }],
      authentication: { method: ['nemid'] },
      signature: [{ method: [{ value: 'nemid-sign' }] }],
      dependsOnTask: i === 0 ? undefined : ['seller'],
    })),
  }]);
  const requestId = requestIds[0]!;
  return { requestId, tasks: users.map((u, i) => { const taskId = i === 0 ? 'seller' : 'buyer'; return { taskId, alias: u.user.alias, url: taskUrl(requestId, taskId) }; }) };
}
