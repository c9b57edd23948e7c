// What the user-session tests share: a test eID signer of their own, a text document and a signing
// task of the test eID (with a subject's national id, a depends-on), and the session page's rows.
import type { Answer } from './portalflow';
import type { TestServer } from './server';

/** A new test eID user (alias `${prefix}-${n}`), with the password to log in. */
export async function newSessionUser(s: TestServer, prefix: string, n: number) {
  const draft = { ...s.rt.testid!.autofill(), alias: `${prefix}-${n}`, password: `pw-${prefix}-${n}-123456` };
  return { ...(await s.rt.testid!.createUser(draft)), password: draft.password };
}

/** A provided text document with a description. */
export const textDoc = (id: string, text: string) =>
  `<document xsi:type="provided-document" id="${id}" mime-type="text/plain"><description>${text}</description><data>${Buffer.from(`${text} text`).toString('base64')}</data></document>`;

/** A task signing one document with the test eID, in English, with its on-task-complete. */
export const signingTask = (id: string, docId: string, o: { nationalId?: string; dependsOn?: string } = {}) =>
  `<task id="${id}">${o.nationalId ? `<subject><national-id>${o.nationalId}</national-id></subject>` : ''}<language>en</language>` +
  `${o.dependsOn ? `<depends-on-task>${o.dependsOn}</depends-on-task>` : ''}<on-task-complete>https://shop.example/done?r=\${requestId}&amp;t=\${taskId}</on-task-complete>` +
  `<document-action type="sign"><document-ref>${docId}</document-ref></document-action>` +
  '<authentication><method>nemid</method></authentication><signature><method>nemid-sign</method></signature></task>';

/** The rows of the session page: each task's name and state text. */
export const sessionRows = (page: Answer) =>
  [...page.html.matchAll(/<li><span class="name">([^<]*)<\/span> <span class="[^"]*"[^>]*>([^<]*)<\/span>/g)].map(
    (m) => `${m[1]}: ${m[2]}`,
  );

/**
 * The three requests of the session tests: a loan (naming `cpr`), account terms (naming nobody), and a
 * deed with an annex whose task (b) depends on the deed's (a), both naming `cpr`.
 */
export async function threeRequests(create: (inner: string) => Promise<string>, cpr: string) {
  const r1 = await create(`${textDoc('loan', 'Loan agreement')}${signingTask('t1', 'loan', { nationalId: cpr })}`);
  const r2 = await create(`${textDoc('terms', 'Account terms')}${signingTask('t1', 'terms')}`);
  const deps = { nationalId: cpr, dependsOn: 'a' };
  const r3 = await create(
    `${textDoc('deed', 'Deed')}${textDoc('annex', 'Annex')}${signingTask('a', 'deed', { nationalId: cpr })}${signingTask('b', 'annex', deps)}`,
  );
  return { r1, r2, r3 };
}

/** The session page of the demo service (with the artifact, the first visit). */
export const sessionUrl = (id: string, artifact?: string) =>
  `/std/docaction/demo/session?session_id=${id}${artifact !== undefined ? `&artifact=${artifact}` : ''}`;

/** getRequestHistory of one task of the demo service, as `event: data` lines. */
export const historyLines = async (s: TestServer, requestId: string, taskId: string) =>
  (await s.rt.documents.requests.getRequestHistory((await s.rt.services.find('demo'))!, requestId, taskId)).map(
    (e) => `${e.event}: ${e.data ?? ''}`,
  );

/** The three requests' tasks all completed, each document with its result. */
export async function expectAllSigned(s: TestServer, r: { r1: string; r2: string; r3: string }): Promise<void> {
  const status = await s.rt.documents.requests.getStatus((await s.rt.services.find('demo'))!, [r.r1, r.r2, r.r3]);
  expect(status.map((x) => `${x.requestId}/${x.taskId}: ${x.taskStatus}`)).toEqual([
    `${r.r1}/t1: completed`,
    `${r.r2}/t1: completed`,
    `${r.r3}/a: completed`,
    `${r.r3}/b: completed`,
  ]);
  for (const x of status) expect(x.documentStatus?.every((d) => d.resultUri)).toBe(true);
}

/** The session's tasks over threeRequests, in this order: Loan, Terms, Deed, Annex. */
export const fourTasks = (r: { r1: string; r2: string; r3: string }) =>
  (
    [
      [r.r1, 't1', 'Loan'],
      [r.r2, 't1', 'Terms'],
      [r.r3, 'a', 'Deed'],
      [r.r3, 'b', 'Annex'],
    ] as const
  ).map(([requestId, taskId, description], i) => ({ requestId, taskId, order: i + 1, description }));
