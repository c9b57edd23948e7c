// The portal's use cases on both databases (the browser tests run on SQLite): artifacts redeem once,
// uploads land on the request, events are written once where asked, waiting tasks cannot complete.
// Over HTTP like a browser: signing refused until each document was really delivered (issue 10 #11),
// a session that stays small with 60 documents (#12), bad forms answered with 4xx pages (#14).
import { createHash } from 'node:crypto';
import { envelope, NS, post } from '../support/soap';
import { databases, startServer, type TestServer } from '../support/server';
import { makePdf } from '../support/pdf';
import { mainText, PortalClient } from '../support/portalclient';
import { waitSealed } from '../support/sign';
import type { SealMaker } from '../../src/core/sealrun';

describe.each(databases())('portal use cases on %s', (db) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer(db, { SEGL_TEST_CLOCK: '1' });
  });
  afterAll(async () => {
    await s.stop();
  });

  const create = async (inner: string) => {
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>${inner}</request></create-request-request>`,
      ),
    );
    return { requestId: /<request-id>([^<]+)</.exec(r.text)![1]!, artifact: /<artifact>([^<]+)</.exec(r.text)?.[1] };
  };
  const account = async () => (await s.rt.services.find('demo'))!;

  test('an artifact is redeemed once, for its own task; a wrong or foreign one is not', async () => {
    const task = (id: string) =>
      `<task id="${id}"><document-action type="view"><document-ref>a</document-ref></document-action><authentication artifact="true"><method>nemid</method></authentication></task>`;
    const { requestId, artifact } = await create(
      `<document xsi:type="provided-document" id="a" mime-type="text/plain"><description>A</description><data>QQ==</data></document>${task('t1')}${task('t2')}`,
    );
    const svc = await account();
    expect(await s.rt.documents.signer.redeemArtifact(svc, requestId, 't2', artifact!)).toBe(false); // bound to t1
    const [first, second] = await Promise.all([
      s.rt.documents.signer.redeemArtifact(svc, requestId, 't1', artifact!),
      s.rt.documents.signer.redeemArtifact(svc, requestId, 't1', artifact!),
    ]);
    expect([first, second].sort()).toEqual([false, true]); // once, even when two arrive together
    expect(await s.rt.documents.signer.redeemArtifact(svc, requestId, 't1', 'x'.repeat(32))).toBe(false);
  });

  test('signTask: one act per document without bundle, recorded with its seal job and the task left open until sealed; the seal job stores the results and completes the task after the last act even with an optional document skipped; a refusal records an error, stores nothing and opens the task again', async () => {
    const doc = (id: string) =>
      `<document xsi:type="provided-document" id="${id}" mime-type="text/plain"><description>${id.toUpperCase()}</description><data>${Buffer.from(`text ${id}`).toString('base64')}</data></document>`;
    const act = (id: string, optional = false) =>
      `<document-action type="sign"${optional ? ' optional="true"' : ''}><document-ref>${id}</document-ref></document-action>`;
    const { requestId } = await create(
      `${doc('a')}${doc('b')}${doc('c')}<task id="t1" bundle="false">${act('a')}${act('b')}${act('c', true)}</task>`,
    );
    const svc = await account();
    const seen: Array<{ ids: string[]; bytes: string[] }> = [];
    const maker = {
      nativeSignature: async (a: { documents: Array<{ id: string; bytes: Uint8Array }> }) => {
        seen.push({ ids: a.documents.map((d) => d.id), bytes: a.documents.map((d) => Buffer.from(d.bytes).toString()) });
        return `<native>${a.documents.map((d) => d.id).join('+')}</native>`;
      },
    };
    const sealed: Array<{ native: string; audit: string[] }> = [];
    const sealer: SealMaker = {
      seal: async (a) => {
        sealed.push({ native: a.nativeXml, audit: a.audit.map((x) => x.type) });
        return { ok: true, bytes: Buffer.from(`package of ${a.nativeXml}`), note: 'test package' };
      },
    };
    const input = { documentIds: ['a', 'b'], signer: {}, audit: [{ type: 'pdf-shown', text: 'shown' }], defaultSignText: 'I agree.' };
    const out = await s.rt.documents.signer.signTask(svc, requestId, 't1', input, maker);
    expect(out.sealJobs.map((j) => j.act)).toEqual([0, 1]);
    expect(seen).toEqual([
      { ids: ['a'], bytes: ['text a'] },
      { ids: ['b'], bytes: ['text b'] },
    ]);
    // signed, not sealed yet: no result, the task open, the signer's act in the history, nothing more taken
    const before = await s.rt.documents.requests.getStatus(svc, [requestId]);
    expect([before[0]!.taskStatus, before[0]!.documentStatus!.map((d) => d.resultUri)]).toEqual([
      'created',
      [undefined, undefined, undefined],
    ]);
    expect((await s.rt.documents.signer.portalTask(svc, requestId, 't1')).sealing).toBe(true);
    expect(await s.rt.documents.signer.sealState(svc, requestId, 't1')).toBe('sealing');
    const signedEvents = (await s.rt.documents.requests.getRequestHistory(svc, requestId, 't1')).map((e) => `${e.event} ${e.data ?? ''}`);
    expect(signedEvents).toContain('document-signed a: signed by the signer (native XAdES); being sealed');
    await expect(s.rt.documents.signer.signTask(svc, requestId, 't1', input, maker)).rejects.toThrow(/is signed and being sealed/);
    await expect(s.rt.documents.signer.rejectTask(svc, requestId, 't1')).rejects.toThrow(/is signed and being sealed/);
    expect(seen).toHaveLength(2);

    const rows = await waitSealed(s.rt, requestId, 't1', { maker: sealer });
    expect(rows.map((r) => [r.act, r.status, r.attempts])).toEqual([
      [0, 'done', 1],
      [1, 'done', 1],
    ]);
    expect(sealed).toEqual([
      { native: '<native>a</native>', audit: ['pdf-shown', 'signature-created'] },
      { native: '<native>b</native>', audit: ['pdf-shown', 'signature-created'] },
    ]);
    const st = await s.rt.documents.requests.getStatus(svc, [requestId]);
    expect(st[0]!.taskStatus).toBe('completed');
    expect(st[0]!.documentStatus!.map((d) => [d.id, d.resultUri !== undefined])).toEqual([
      ['a', true],
      ['b', true],
      ['c', false],
    ]);
    expect(await s.rt.documents.signer.sealState(svc, requestId, 't1')).toBe('completed');
    const events = (await s.rt.documents.requests.getRequestHistory(svc, requestId, 't1')).map((e) => `${e.event} ${e.data ?? ''}`);
    expect(events.filter((e) => e.startsWith('document-signed'))).toHaveLength(2);
    expect(events.some((e) => e.startsWith('task-completed test package '))).toBe(true);
    const r = await s.rt.documents.requests.resultDocument(svc, requestId, 't1', 'b');
    expect(Buffer.from(await s.rt.blobs.getBytes(r.blobKey)).toString()).toBe('package of <native>b</native>');
    // sealed already: a second run of the same job does nothing
    expect(await s.rt.sealing.run({ requestId, taskId: 't1', act: 0, attempts: 0 }, sealer)).toBe('skipped');
    expect(sealed).toHaveLength(2);
    // signed already: nothing left, refused before the maker is asked
    await expect(s.rt.documents.signer.signTask(svc, requestId, 't1', input, maker)).rejects.toThrow(/is completed/);
    expect(seen).toHaveLength(2);

    const other = (await create(`${doc('x')}<task id="t1">${act('x')}</task>`)).requestId;
    await s.rt.documents.signer.signTask(svc, other, 't1', { ...input, documentIds: ['x'] }, maker);
    const refusing: SealMaker = {
      seal: async () => ({ ok: false, stage: 'initial-verification', reason: 'signature refused by the test', retry: false }),
    };
    expect((await waitSealed(s.rt, other, 't1', { maker: refusing })).map((x) => x.status)).toEqual(['failed']);
    const after = await s.rt.documents.requests.getStatus(svc, [other]);
    expect([after[0]!.taskStatus, after[0]!.documentStatus![0]!.resultUri]).toEqual(['created', undefined]);
    const history = await s.rt.documents.requests.getRequestHistory(svc, other, 't1');
    expect(history.map((e) => [e.event, e.data])).toContainEqual([
      'error',
      'signature not sealed at initial-verification: signature refused by the test',
    ]);
    expect(await s.rt.documents.signer.sealState(svc, other, 't1')).toBe('refused');
    // open again: the signer may sign once more (a second seal job, act 1)
    expect((await s.rt.documents.signer.signTask(svc, other, 't1', { ...input, documentIds: ['x'] }, maker)).sealJobs[0]!.act).toBe(1);
  });

  test('an upload lands on the request with its event; portalTask reports it; task-started is written once', async () => {
    const { requestId } = await create(
      '<document xsi:type="upload-document" id="u"><description>Payslip</description></document><task id="t1"><document-action type="upload"><document-ref>u</document-ref></document-action></task>',
    );
    const svc = await account();
    expect((await s.rt.documents.signer.portalTask(svc, requestId, 't1')).documents[0]).toMatchObject({
      id: 'u',
      action: 'upload',
      uploaded: false,
    });
    const blob = await s.rt.blobs.putBytes(new TextEncoder().encode('Salary'));
    await s.rt.documents.signer.recordUpload(svc, requestId, 't1', 'u', blob, 'text/plain');
    expect((await s.rt.documents.signer.portalTask(svc, requestId, 't1')).documents[0]).toMatchObject({
      uploaded: true,
      mimeType: 'text/plain',
    });
    const row = await s.rt.documents.signer.originalDocument(svc, requestId, 't1', 'u');
    expect([row.blobKey, row.mimeType, row.size]).toEqual([blob.key, 'text/plain', 6]);
    await expect(s.rt.documents.signer.recordUpload(svc, requestId, 't1', 'nope', blob, 'text/plain')).rejects.toThrow(
      'task "t1" has no upload action for document "nope"',
    );
    for (let i = 0; i < 3; i++) await s.rt.documents.signer.recordPortalEvent(svc, requestId, 't1', 'task-started', undefined, true);
    const events = (await s.rt.documents.requests.getRequestHistory(svc, requestId, 't1')).map((e) => e.event);
    expect(events.filter((e) => e === 'task-started')).toHaveLength(1);
    expect(events).toContain('document-uploaded');
  });

  const history = async (requestId: string) =>
    (await s.rt.documents.requests.getRequestHistory(await account(), requestId, 't1')).map(
      (e) => `${e.event}${e.data ? `:${e.data}` : ''}`,
    );
  const taskStatus = async (requestId: string) => (await s.rt.documents.requests.getStatus(await account(), [requestId]))[0]!.taskStatus;
  const text = (id: string, description: string, body: string) =>
    `<document xsi:type="provided-document" id="${id}" mime-type="text/plain"><description>${description}</description><data>${Buffer.from(body).toString('base64')}</data></document>`;

  test('sign/start and sign/confirm POSTed directly are refused until each document was delivered; a PDF counts when its bytes went out, not its page', async () => {
    const testid = s.rt.testid!;
    await testid.createUser({ ...testid.autofill(), alias: `una-${db}`, password: 'una-password-1' });
    const pdf = makePdf({ text: 'Loan' }).toString('base64');
    const { requestId, artifact } = await create(
      `${text('a', 'Terms', 'Interest 3 %')}` +
        `<document xsi:type="provided-document" id="b" mime-type="application/pdf"><description>Loan</description><data>${pdf}</data></document>` +
        '<task id="t1"><document-action type="sign"><document-ref>a</document-ref></document-action><document-action type="sign"><document-ref>b</document-ref></document-action>' +
        '<authentication artifact="true"><method>nemid</method></authentication><signature><method>nemid-sign</method></signature></task>',
    );
    const b = new PortalClient(s.url);
    const q = `request_id=${requestId}&task_id=t1`;
    expect((await b.get(`/std/docaction/demo?${q}&artifact=${artifact}`)).status).toBe(303);
    expect((await b.get(`/std/docaction/demo?${q}`)).text).toContain('You are logged in for this task.');
    const docs = { document_id: ['a', 'b'] };
    const code = async () => {
      const ch = await testid.signingChallenge(`una-${db}`);
      if ('ok' in ch) throw new Error(ch.message);
      const card = (await testid.keyCards(`una-${db}`)).find((k) => k.cardId === ch.cardId)!;
      return {
        challenge: ch.challengeId,
        code: card.codes.find((k) => k.keyNumber === ch.keyNumber)!.code,
        user: `una-${db}`,
        password: 'una-password-1',
        do: 'next',
      };
    };
    const refusedFor = async (r: { status: number; text: string }, list: string) => {
      expect([r.status, mainText(r.text)]).toEqual([400, expect.stringContaining(`Read these documents before you send in: ${list}`)]);
      expect(await taskStatus(requestId)).toBe('created');
    };
    // nothing opened: neither the sign page nor its two steps go on (a valid challenge and code do not help)
    await refusedFor(await b.get(`/std/docaction/demo/sign?${q}&document_id=a&document_id=b`), 'Terms, Loan');
    await refusedFor(await b.post(`/std/docaction/demo/sign/start?${q}`, { ...docs, user: `una-${db}` }), 'Terms, Loan');
    await refusedFor(await b.post(`/std/docaction/demo/sign/confirm?${q}`, { ...docs, ...(await code()) }), 'Terms, Loan');
    // the text shown whole on its page counts; the PDF's page alone does not (its bytes were not sent)
    expect((await b.get(`/std/docaction/demo/document?${q}&document_id=a`)).text).toContain('Interest 3 %');
    expect((await b.get(`/std/docaction/demo/document?${q}&document_id=b`)).status).toBe(200);
    expect((await b.get(`/std/docaction/demo/document/raw?${q}&document_id=b`, { method: 'HEAD' })).status).toBe(200);
    expect((await history(requestId)).filter((e) => e.startsWith('document-viewed'))).toEqual(['document-viewed:a']);
    await refusedFor(await b.post(`/std/docaction/demo/sign/confirm?${q}`, { ...docs, ...(await code()) }), 'Loan');
    // the PDF's bytes, whole: now it counts, and signing goes through
    const raw = await b.get(`/std/docaction/demo/document/raw?${q}&document_id=b`);
    expect([raw.status, raw.text.slice(0, 5)]).toEqual([200, '%PDF-']);
    expect((await history(requestId)).filter((e) => e.startsWith('document-viewed'))).toEqual(['document-viewed:a', 'document-viewed:b']);
    const start = await b.post(`/std/docaction/demo/sign/start?${q}`, { ...docs, user: `una-${db}` });
    expect([start.status, mainText(start.text)]).toEqual([200, expect.stringContaining('Confirm with your password and a key-card code')]);
    const done = await b.post(`/std/docaction/demo/sign/confirm?${q}`, { ...docs, ...(await code()) });
    // the act is recorded and the page says so; the task completes when the seal job has run
    expect([done.status, mainText(done.text)]).toEqual([200, expect.stringContaining('Signed, being sealed')]);
    expect(done.text).toContain(`data-status-url="/std/docaction/demo/seal-status?${q.replace('&', '&amp;')}"`);
    expect(await taskStatus(requestId)).toBe('created');
    const status = async () => {
      const r = await fetch(`${s.url}/std/docaction/demo/seal-status?${q}`, { headers: { 'accept-language': 'da' } });
      return [r.status, ((await r.json()) as { state: string; title: string }).state] as const;
    };
    expect(await status()).toEqual([200, 'sealing']);
    // the task URL while sealing: the same page, nothing to sign
    expect(mainText((await b.get(`/std/docaction/demo?${q}`)).text)).toContain('Signed, being sealed');
    expect((await waitSealed(s.rt, requestId, 't1')).map((r) => r.status)).toEqual(['done']);
    expect(await taskStatus(requestId)).toBe('completed');
    expect(await status()).toEqual([200, 'completed']);
    expect((await fetch(`${s.url}/std/docaction/demo/seal-status?request_id=nope&task_id=t1`)).status).toBe(404);
  });

  test('60 documents: the session cookie stays small and signed, progress lives server-side, Start over and the 30-minute timeout still work', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `document-number-${String(i).padStart(2, '0')}-${'x'.repeat(40)}`);
    const { requestId } = await create(
      ids.map((id, i) => text(id, `Appendix ${i}`, `Appendix ${i} text`)).join('') +
        `<task id="t1">${ids.map((id) => `<document-action type="view"><document-ref>${id}</document-ref></document-action>`).join('')}</task>`,
    );
    const b = new PortalClient(s.url);
    const q = `request_id=${requestId}&task_id=t1`;
    expect((await b.get(`/std/docaction/demo?${q}`)).status).toBe(200);
    for (const id of ids) expect((await b.get(`/std/docaction/demo/document?${q}&document_id=${id}`)).status).toBe(200);
    const page = await b.get(`/std/docaction/demo?${q}`);
    expect(mainText(page.text)).not.toContain('Not read yet');
    // every Set-Cookie of the session: one small, fixed-size value (id and MAC), far below the 4 KB browsers keep
    const values = new Set(b.cookies.map((c) => c.split(';')[0]));
    expect(Math.max(...b.cookies.map((c) => c.length))).toBeLessThan(200);
    expect([...values].every((v) => /^segl_portal=[A-Za-z0-9_-]{32}\.[A-Za-z0-9_-]{43}$/.test(v!))).toBe(true);
    // the database keeps a hash of the id, never the id itself
    const id = b.cookie.split('=')[1]!.split('.')[0]!;
    const rows = await s.rt.db.query('SELECT id_hash, data FROM portal_session');
    expect(rows.map((r: { id_hash: string }) => r.id_hash)).toContain(createHash('sha256').update(id).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(id);
    // and what the session knows only sealed (AES-256-GCM): no document id, PID or typed user id readable
    expect(rows.every((r: { data: string }) => r.data.startsWith('v1.'))).toBe(true);
    expect(JSON.stringify(rows)).not.toContain('document-number-');
    // a MAC that does not match is a new, empty session
    const forged = new PortalClient(s.url);
    forged.cookie = `segl_portal=${id}.${'A'.repeat(43)}`;
    expect(mainText((await forged.get(`/std/docaction/demo?${q}`)).text)).toContain('Not read yet');
    expect(forged.cookie).not.toContain(id);
    // Start over forgets, reading again and Send in completes
    expect((await b.post(`/std/docaction/demo/act?${q}`, { do: 'restart' })).status).toBe(303);
    expect(mainText((await b.get(`/std/docaction/demo?${q}`)).text)).toContain('Not read yet');
    for (const doc of ids) await b.get(`/std/docaction/demo/document?${q}&document_id=${doc}`);
    await b.get(`/std/docaction/demo?${q}`);
    const sent = await b.post(`/std/docaction/demo/act?${q}`, { do: 'sendin' });
    expect([sent.status, mainText(sent.text)]).toEqual([200, expect.stringContaining('Thank you: your confirmation has been received')]);
    expect(await taskStatus(requestId)).toBe('completed');
    expect((await history(requestId)).filter((e) => e.startsWith('document-viewed'))).toHaveLength(120);
  });

  test('the session ends 30 minutes after the last page (server-side expiry), renewed by each page', async () => {
    const { requestId, artifact } = await create(
      `${text('a', 'Contract', 'Contract text')}<task id="t1"><document-action type="view"><document-ref>a</document-ref></document-action>` +
        '<authentication artifact="true"><method>nemid</method></authentication></task>',
    );
    const b = new PortalClient(s.url);
    const q = `request_id=${requestId}&task_id=t1`;
    await b.get(`/std/docaction/demo?${q}`);
    const before = b.cookie;
    await b.get(`/std/docaction/demo?${q}&artifact=${artifact}`);
    expect(b.cookie).not.toBe(before); // a new id at login: one planted before is worth nothing
    const planted = new PortalClient(s.url);
    planted.cookie = before;
    expect(mainText((await planted.get(`/std/docaction/demo?${q}`)).text)).toContain('Log in to continue');
    expect(mainText((await b.get(`/std/docaction/demo?${q}`)).text)).toContain('You are logged in for this task.');
    const clock = s.rt.clock;
    clock.advance(29 * 60_000);
    expect(mainText((await b.get(`/std/docaction/demo?${q}`)).text)).toContain('You are logged in for this task.');
    clock.advance(29 * 60_000);
    expect(mainText((await b.get(`/std/docaction/demo?${q}`)).text)).toContain('You are logged in for this task.');
    clock.advance(31 * 60_000);
    expect(mainText((await b.get(`/std/docaction/demo?${q}`)).text)).toContain('Log in to continue');
  });

  test('bad portal forms: oversized → 413, unreadable charset or encoding, no form, a bad path → 400 or 403 pages; never a 500, nothing changes', async () => {
    const { requestId } = await create(
      `${text('a', 'Terms', 'Terms')}<task id="t1"><document-action type="view"><document-ref>a</document-ref></document-action></task>`,
    );
    const b = new PortalClient(s.url);
    const q = `request_id=${requestId}&task_id=t1`;
    await b.get(`/std/docaction/demo?${q}`);
    const act = `/std/docaction/demo/act?${q}`;
    const form = 'application/x-www-form-urlencoded';
    const cases: Array<[string, Promise<{ status: number; text: string; res: Response }>, number, string]> = [
      [
        'a 100 KB body',
        b.raw(act, `do=decline&csrf=${b.csrf}&reason=${'x'.repeat(100_000)}`, { 'content-type': form }),
        413,
        'The form was too large',
      ],
      [
        '500 fields',
        b.raw(act, `do=decline&csrf=${b.csrf}&${Array.from({ length: 500 }, (_, i) => `f${i}=1`).join('&')}`, { 'content-type': form }),
        413,
        'The form was too large',
      ],
      [
        'an unknown charset',
        b.raw(act, `do=decline&csrf=${b.csrf}`, { 'content-type': `${form}; charset=x-no-such-charset` }),
        400,
        'The form could not be read',
      ],
      [
        'UTF-16',
        b.raw(act, Buffer.from(`do=decline&csrf=${b.csrf}`, 'utf16le'), { 'content-type': `${form}; charset=utf-16` }),
        400,
        'The form could not be read',
      ],
      [
        'an unknown Content-Encoding',
        b.raw(act, `do=decline&csrf=${b.csrf}`, { 'content-type': form, 'content-encoding': 'x-bogus' }),
        400,
        'The form could not be read',
      ],
      [
        'damaged gzip',
        b.raw(act, Buffer.from('not gzip at all'), { 'content-type': form, 'content-encoding': 'gzip' }),
        400,
        'The form could not be read',
      ],
      ['broken %-escapes', b.raw(act, 'do=%E0%A4%A&csrf=%zz', { 'content-type': form }), 403, 'This page has expired'],
      [
        'no form at all (JSON)',
        b.raw(act, JSON.stringify({ do: 'decline', csrf: b.csrf }), { 'content-type': 'application/json' }),
        403,
        'This page has expired',
      ],
      ['no body', b.raw(act, '', {}), 403, 'This page has expired'],
      [
        'login: too large',
        b.raw(`/std/docaction/demo/login?${q}`, `csrf=${b.csrf}&user=${'u'.repeat(20_000)}`, { 'content-type': form }),
        413,
        'The form was too large',
      ],
      [
        'sign/start: bad charset',
        b.raw(`/std/docaction/demo/sign/start?${q}`, `csrf=${b.csrf}`, { 'content-type': `${form}; charset=klingon` }),
        400,
        'The form could not be read',
      ],
      [
        'sign/confirm: JSON',
        b.raw(`/std/docaction/demo/sign/confirm?${q}`, '{}', { 'content-type': 'application/json' }),
        403,
        'This page has expired',
      ],
    ];
    for (const [name, pending, status, heading] of cases) {
      const r = await pending;
      expect([name, r.status, r.res.headers.get('content-type'), mainText(r.text).slice(0, heading.length)]).toEqual([
        name,
        status,
        'text/html; charset=utf-8',
        heading,
      ]);
      expect([name, r.text]).not.toEqual([name, expect.stringMatching(/\bat .+\.(ts|js):\d+|Error:/)]);
    }
    // the refused page leads back to the task, its URL escaped as an attribute value
    const tooLarge = await b.raw(act, `do=decline&csrf=${b.csrf}&reason=${'x'.repeat(100_000)}`, { 'content-type': form });
    expect(tooLarge.text).toContain(
      `<p><a href="/std/docaction/demo?request_id=${requestId}&amp;task_id=t1">Back to the documents</a></p>`,
    );
    // an upload that is not a readable multipart/form-data body
    const up = await create(
      '<document xsi:type="upload-document" id="u"><description>Payslip</description></document><task id="t1"><document-action type="upload"><document-ref>u</document-ref></document-action></task>',
    );
    const uq = `request_id=${up.requestId}&task_id=t1`;
    await b.get(`/std/docaction/demo?${uq}`);
    const upload = `/std/docaction/demo/upload?${uq}&document_id=u`;
    const part = `--XX\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${b.csrf}\r\n--XX\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nSalary`;
    for (const [name, body, type] of [
      ['no boundary', 'x', 'multipart/form-data'],
      ['not multipart', 'file=x', 'text/plain'],
      ['cut off', part, 'multipart/form-data; boundary=XX'],
    ] as const) {
      const r = await b.raw(upload, body, { 'content-type': type });
      expect([name, r.status, mainText(r.text)]).toEqual([
        name,
        400,
        expect.stringContaining('The form could not be read. Nothing was saved or changed.'),
      ]);
    }
    const none = await b.raw(upload, `csrf=${b.csrf}`, { 'content-type': 'application/x-www-form-urlencoded' });
    expect([none.status, mainText(none.text)]).toEqual([422, expect.stringContaining('Choose a file to upload first.')]);
    expect((await s.rt.documents.signer.portalTask(await account(), up.requestId, 't1')).documents[0]!.uploaded).toBe(false);
    const bad = await b.get('/std/docaction/%E0%A4%A?request_id=x&task_id=y');
    expect([bad.status, mainText(bad.text)]).toEqual([400, expect.stringContaining('This address could not be read')]);
    expect(await taskStatus(requestId)).toBe('created');
    expect((await history(requestId)).filter((e) => e.startsWith('task-rejected'))).toEqual([]);
  });
});
