// The portal flow of a handwritten (InkSign) task up to the drawing pad, shared by the InkSign tests: a new task
// `<method handwritten="true">nemid-sign</method>` over one text document d1, logged in with the test eID user `u`,
// the document read, Send in, the user id: the answer is the pad.
import { BrowserLike, keyCardCode, step, type Answer } from './portalflow';
import type { TestServer } from './server';
import { createRequestXml } from './soap';

export const INK_USER_AGENT = 'Mozilla/5.0 (Linux; Android 14) segl-ink-test';

export async function inkPad(
  s: TestServer,
  u: { alias: string; password: string },
  language = 'en',
): Promise<{ b: BrowserLike; requestId: string; pad: Answer }> {
  const testid = s.rt.testid!;
  const request =
    `<document xsi:type="provided-document" id="d1" mime-type="text/plain"><description>Lease</description><data>${Buffer.from('Lease: 3 years.\n').toString('base64')}</data></document>` +
    `<task id="t1"><language>${language}</language><document-action type="sign"><document-ref>d1</document-ref></document-action>` +
    '<authentication><method>nemid</method></authentication><signature><method handwritten="true">nemid-sign</method></signature></task>';
  const requestId = await createRequestXml(s.endpoint, 'demo', s.demoPassword, request);
  const q = `request_id=${requestId}&task_id=t1`;
  const b = new BrowserLike(s.url, INK_USER_AGENT);
  // (the key number as the English page says it, for keyCardCode)
  const code = async (p: Answer) => keyCardCode(testid, u.alias, { ...p, html: p.html.replace(/nøgle nummer/g, 'key number') }, 'code');
  let p = await b.open(`/std/docaction/demo?${q}`, 'task URL');
  p = await b.submit(p, step('login'), { user: u.alias, password: u.password }, 'login');
  p = await b.submit(p, step('login/code'), { code: await code(p), do: 'next' }, 'login code');
  await b.open(`/std/docaction/demo/document?${q}&document_id=d1`, 'document');
  p = await b.open(`/std/docaction/demo?${q}`, 'wizard');
  p = await b.submit(p, (f) => f.id === 'sendin', { do: 'sendin' }, 'Send in');
  return { b, requestId, pad: await b.submit(p, step('sign/start'), {}, 'sign/start') };
}
