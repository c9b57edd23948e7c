// Issue 10, items 2, 3, 10 and 14 (document side), against a real server on both databases:
// tenant bytes are never served as active content (active types refused, every download route
// sends attachment/sandbox/nosniff), refused calls leave no bytes behind, re-uploads and deletion
// release their blobs, the sweep removes orphans only, addTask checks its sds/archive references,
// and client mistakes (huge id lists, broken mime-types, /pki bodies) get 4xx answers, not 500s.
import { createHash } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { RequestService, type RequestServiceDeps } from '../../src/core/requests';
import type { DocumentTx } from '../../src/core/ports';
import type { Document } from '../../src/core/types';
import { databases, startServer, type TestServer } from '../support/server';
import { envelope, faultString, NS, post } from '../support/soap';
import { makePdf } from '../support/pdf';
import { blobFiles } from '../support/blobs';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
const HOUR = 3_600_000;

describe.each(databases())('tenant bytes on %s', (db) => {
  let s: TestServer;
  let auth: string;
  const other = { name: 'other', password: 'other-password-1' };
  const creds = (svc = 'demo', pw?: string) => `<service>${svc}</service><password>${pw ?? s.demoPassword}</password>`;
  const call = (xml: string) => post(s.endpoint, envelope(xml));
  const upload = async (body: Buffer | string, type: string, as = { name: 'demo', password: '' }) => {
    const res = await fetch(`${s.url}/doc/${as.name}/sds`, {
      method: 'POST',
      headers: { authorization: basic(as.name, as.password || s.demoPassword), 'content-type': type },
      body,
    });
    return { status: res.status, text: await res.text() };
  };
  const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers: { authorization: auth, ...headers } });
  const provided = (id: string, type: string, data: Buffer, extra = '') =>
    `<document xsi:type="provided-document" id="${id}" mime-type="${type.replace(/"/g, '&quot;')}"${extra}><data>${data.toString('base64')}</data><description>${id}</description></document>`;
  const create = async (docs: string, tasks: string) => {
    const r = await call(`<create-request-request xmlns="${NS}">${creds()}<request>${docs}${tasks}</request></create-request-request>`);
    return { ...r, requestId: /<request-id>([^<]+)</.exec(r.text)?.[1], artifact: /<artifact>([^<]+)</.exec(r.text)?.[1] };
  };
  const viewTask = (id: string, ...refs: string[]) =>
    `<task id="${id}">${refs.map((r) => `<document-action type="view"><document-ref>${r}</document-ref></document-action>`).join('')}</task>`;

  beforeAll(async () => {
    s = await startServer(db);
    auth = basic('demo', s.demoPassword);
    await s.rt.services.create(other.name, other.password);
  });
  afterAll(async () => {
    await s.stop();
  });

  describe("item 2: tenant documents never run script on segl's origin", () => {
    test.each([
      ['text/html', '<html><script>fetch("/admin/deliveries")</script></html>'],
      ['application/xhtml+xml', '<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>'],
      ['image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'],
    ])('an SDS upload of %s is refused with 415 and a message, and stores nothing', async (type, body) => {
      const before = blobFiles(s.dataDir);
      const r = await upload(body, type);
      expect(r.status).toBe(415);
      expect(r.text).toMatch(/is not accepted; use one of application\/pdf/);
      expect(blobFiles(s.dataDir)).toEqual(before);
    });

    test.each([
      ['text/html', /"text\/html" is not accepted; use one of application\/pdf.*HTML, XHTML, SVG/],
      ['application/xhtml+xml', /"application\/xhtml\+xml" is not accepted/],
      ['image/svg+xml', /"image\/svg\+xml" is not accepted/],
      ['application/javascript', /"application\/javascript" is not accepted/],
      // a parameter no HTTP header may carry (U+0100): it used to be stored and break every download with a 500
      ['text/plain; name="\u0100"', /is not a media type \(RFC 9110/],
      ['text/plain; charset=klingon', /the charset "klingon" is not supported/],
      ['application/pdf; charset=utf-8', /a charset parameter is not allowed on application\/pdf/],
      ['text/plain;', null], // an empty parameter is allowed by RFC 9110
    ])('createRequest with a provided-document of type %j', async (type, fault) => {
      const before = blobFiles(s.dataDir);
      const data = Buffer.from(`a document declared as ${type} ${Date.now()}`);
      const r = await create(provided('d', type, data), viewTask('t', 'd'));
      if (fault === null) {
        expect(r.text).not.toContain('Fault');
        expect(r.status).toBe(200);
        return;
      }
      expect(r.status).toBe(500);
      expect(r.text).toContain('<faultcode>soap:Client</faultcode>');
      expect(faultString(r.text)).toMatch(/^request\[0\]\/document\[0\]\/@mime-type: /);
      expect(faultString(r.text)).toMatch(fault);
      expect(blobFiles(s.dataDir)).toEqual(before);
    });

    test('addTask refuses an inline provided-document of an active type, naming its mime-type', async () => {
      const { requestId } = await create(provided('d', 'text/plain', Buffer.from('base')), viewTask('t', 'd'));
      const before = blobFiles(s.dataDir);
      const r = await call(
        `<add-task-request xmlns="${NS}">${creds()}<request-id>${requestId}</request-id>` +
          `<task id="t2"><document-action type="view">${provided('h', 'text/html', Buffer.from('<script>alert(1)</script>'))}</document-action></task></add-task-request>`,
      );
      expect(r.text).toContain('<faultcode>soap:Client</faultcode>');
      expect(faultString(r.text)).toMatch(/^task\/document-action\[0\]\/document\/@mime-type: "text\/html" is not accepted/);
      expect(blobFiles(s.dataDir)).toEqual(before);
    });

    test('every download route: attachment unless PDF or text, a sandbox CSP and nosniff, on errors too', async () => {
      const pdf = makePdf({ padBytes: 100 });
      const pdfId = (await upload(pdf, 'application/pdf')).text;
      const xml = `<doc n="${Date.now()}"/>`;
      const xmlId = (await upload(xml, 'application/xml')).text;
      const text = `plain ${Date.now()}`;
      const { requestId, text: created } = await create(
        `<document xsi:type="sds-document" id="p" ref-sds-id="${pdfId}"><description>p</description></document>` +
          provided('x', 'text/xml', Buffer.from(`<x n="${Date.now()}"/>`), ' send-to-archive="true"') +
          provided('t', 'text/plain;charset=utf-8', Buffer.from(text)),
        viewTask('t1', 'p', 'x', 't') + viewTask('t2', 'x'),
      );
      expect(created).not.toContain('Fault');
      const archiveId = await (async () => {
        const f = await call(
          `<find-tasks-request xmlns="${NS}">${creds()}<filter><criteria><field>request-id</field>` +
            `<value xmlns:xs="http://www.w3.org/2001/XMLSchema" xsi:type="xs:string">${requestId}</value></criteria></filter></find-tasks-request>`,
        );
        const info = (f.text.match(/<task\b[^>]*>/g) ?? []).find((t) => /\btask-id="t2"/.test(t));
        return info ? /\barchive-id="([^"]+)"/.exec(info)?.[1] : undefined;
      })();
      const order = (doc: string, kind = 'original') => `${s.url}/doc/demo/order/${requestId}/t1/${doc}/${kind}`;
      const cases: Array<[url: string, disposition: RegExp, type: string]> = [
        [`${s.url}/doc/demo/sds/${pdfId}`, /^inline; filename="[^"]+\.pdf"$/, 'application/pdf'],
        [`${s.url}/doc/demo/sds/${xmlId}`, /^attachment; filename="[^"]+\.xml"$/, 'application/xml'],
        [order('p'), /^inline; filename="p\.pdf"$/, 'application/pdf'],
        [order('x'), /^attachment; filename="x\.xml"$/, 'text/xml'],
        [order('t'), /^inline; filename="t\.txt"$/, 'text/plain;charset=utf-8'],
      ];
      if (archiveId) cases.push([`${s.url}/doc/demo/archive/${archiveId}`, /^attachment; filename="[^"]+\.xml"$/, 'text/xml']);
      expect(archiveId).toBeDefined();
      for (const [url, disposition, type] of cases) {
        for (const headers of [{}, { range: 'bytes=0-3' }] as Array<Record<string, string>>) {
          const res = await get(url, headers);
          expect([200, 206]).toContain(res.status);
          expect(res.headers.get('content-type')).toBe(type);
          expect(res.headers.get('content-disposition')).toMatch(disposition);
          expect(res.headers.get('content-security-policy')).toMatch(/(^|;\s*)sandbox(;|$)/);
          expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
          expect(res.headers.get('x-content-type-options')).toBe('nosniff');
          await res.arrayBuffer();
        }
      }
      // Errors and non-document answers of the same routes carry nosniff and the sandbox too.
      const errors = [
        await get(`${s.url}/doc/demo/sds/nope`),
        await get(`${s.url}/doc/demo/archive/nope`),
        await get(order('p', 'sdo')),
        await get(order('nope')),
        await fetch(`${s.url}/doc/demo/sds/${pdfId}`),
        await get(`${s.url}/doc/demo/sds/${pdfId}`, { range: 'bytes=999999-' }),
      ];
      expect(errors.map((e) => e.status)).toEqual([404, 404, 404, 404, 401, 416]);
      for (const e of errors) {
        expect(e.headers.get('x-content-type-options')).toBe('nosniff');
        expect(e.headers.get('content-security-policy')).toMatch(/sandbox/);
        expect(e.headers.get('content-type')).toMatch(/^text\/plain/);
      }
    });

    test('a document stored earlier under an active type is served as an attachment, sandboxed (legacy rows)', async () => {
      // A request created before this check may name text/html; it must not run as a page.
      const { requestId } = await create(provided('d', 'text/plain', Buffer.from(`legacy ${Date.now()}`)), viewTask('t', 'd'));
      // Simulate the legacy row through the store's own connection (no API accepts the type any more).
      const sql =
        s.rt.db.options.type === 'postgres'
          ? 'UPDATE document SET mime_type = $1 WHERE request_id = $2'
          : 'UPDATE document SET mime_type = ? WHERE request_id = ?';
      await s.rt.db.query(sql, ['text/html; name="\u0100"', requestId]);
      const res = await get(`${s.url}/doc/demo/order/${requestId}/t/d/original`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      await s.rt.db.query(sql, ['text/html', requestId]);
      const html = await get(`${s.url}/doc/demo/order/${requestId}/t/d/original`);
      expect(html.headers.get('content-type')).toBe('text/html');
      expect(html.headers.get('content-disposition')).toMatch(/^attachment;/);
      expect(html.headers.get('content-security-policy')).toMatch(/sandbox/);
    });

    test("the portal's raw document: PDF inline, XML as attachment, both sandboxed with nosniff", async () => {
      const pdf = makePdf({ padBytes: 200 });
      const { requestId, artifact } = await create(
        provided('p', 'application/pdf', pdf) + provided('x', 'application/xml', Buffer.from('<x/>')),
        '<task id="t1"><document-action type="view"><document-ref>p</document-ref></document-action><document-action type="view"><document-ref>x</document-ref></document-action>' +
          '<authentication artifact="true"><method>nemid</method></authentication></task>',
      );
      const base = `${s.url}/std/docaction/demo?request_id=${requestId}&task_id=t1`;
      const login = await fetch(`${base}&artifact=${artifact}`, { redirect: 'manual' });
      expect(login.status).toBe(303);
      const cookie = login.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const raw = (doc: string) =>
        fetch(`${s.url}/std/docaction/demo/document/raw?request_id=${requestId}&task_id=t1&document_id=${doc}`, { headers: { cookie } });
      const p = await raw('p');
      expect(p.status).toBe(200);
      expect(Buffer.from(await p.arrayBuffer()).equals(pdf)).toBe(true);
      expect(p.headers.get('content-disposition')).toMatch(/^inline;/);
      const x = await raw('x');
      expect(x.status).toBe(200);
      await x.arrayBuffer();
      expect(x.headers.get('content-disposition')).toMatch(/^attachment;/);
      for (const r of [p, x]) {
        expect(r.headers.get('content-security-policy')).toMatch(/(^|;\s*)sandbox(;|$)/);
        expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      }
    });
  });

  describe('item 3: nothing refused writes; replaced and deleted bytes go; the sweep finds the rest', () => {
    test('createRequest refused for an unknown or foreign ref-sds-id keeps none of its provided-document bytes', async () => {
      const theirs = (await upload('their document', 'text/plain', other)).text;
      const before = blobFiles(s.dataDir);
      const big = Buffer.alloc(1024 * 1024, `${Date.now()}`);
      for (const ref of ['12122026unknownunknownunknownunknownunknownunknownunkno', theirs]) {
        const r = await create(
          provided('big', 'text/plain', big) +
            `<document xsi:type="sds-document" id="s" ref-sds-id="${ref}"><description>s</description></document>`,
          viewTask('t', 'big', 's'),
        );
        expect(faultString(r.text)).toBe(
          `request[0]/document[1]/@ref-sds-id: no SDS document "${ref}" exists for service demo (upload it to /doc/demo/sds first)`,
        );
      }
      // an unknown archive id likewise
      const r = await create(
        provided('big', 'text/plain', big) + '<document xsi:type="archive-document" id="a" ref-archive-id="nope"/>',
        viewTask('t', 'big', 'a'),
      );
      expect(faultString(r.text)).toBe('request[0]/document[1]/@ref-archive-id: no archived document "nope" exists for service demo');
      expect(blobFiles(s.dataDir)).toEqual(before);
    });

    test('a failure inside the write transaction (createRequest, addTask) takes back the bytes written for it', async () => {
      // The real service and store, with one write made to fail the way a lost connection would.
      const deps = (s.rt.documents.requests as unknown as { d: RequestServiceDeps }).d;
      const failAt = (name: keyof DocumentTx): RequestServiceDeps['store'] => ({
        tx: (work) =>
          deps.store.tx((tx) =>
            work(
              new Proxy(tx, {
                get: (t, k) =>
                  k === name
                    ? async () => {
                        throw new Error('boom');
                      }
                    : (Reflect.get(t, k) as (...a: unknown[]) => unknown).bind(t),
              }),
            ),
          ),
      });
      const svc = (await s.rt.services.find('demo'))!;
      const doc = (id: string): Document => ({
        kind: 'provided-document',
        id,
        mimeType: 'text/plain',
        description: id,
        data: Buffer.alloc(500_000, `${id} ${Date.now()}`),
      });
      const { requestId } = await create(provided('d', 'text/plain', Buffer.from('base')), viewTask('t', 'd'));
      const before = blobFiles(s.dataDir);
      await expect(
        new RequestService({ ...deps, store: failAt('insertRequests') }).createRequest(svc, [
          { document: [doc('a')], task: [{ id: 't', documentAction: [{ type: 'view', documentRef: 'a' }] }] },
        ]),
      ).rejects.toThrow('boom');
      await expect(
        new RequestService({ ...deps, store: failAt('insertTask') }).addTask(svc, requestId!, {
          id: 't2',
          documentAction: [{ type: 'view', document: doc('b') }],
        }),
      ).rejects.toThrow('boom');
      expect(blobFiles(s.dataDir)).toEqual(before);
    });

    test('a re-upload releases the replaced file; deleteRequest then leaves nothing of the request', async () => {
      const svc = (await s.rt.services.find('demo'))!;
      const { requestId } = await create(
        '<document xsi:type="upload-document" id="u"><description>upload</description></document>',
        '<task id="t"><document-action type="upload"><document-ref>u</document-ref></document-action></task>',
      );
      const before = blobFiles(s.dataDir);
      const first = await s.rt.blobs.putBytes(Buffer.from(`first upload ${Date.now()}`));
      await s.rt.documents.signer.recordUpload(svc, requestId!, 't', 'u', first, 'text/plain');
      const second = await s.rt.blobs.putBytes(Buffer.from(`second upload ${Date.now()}`));
      await s.rt.documents.signer.recordUpload(svc, requestId!, 't', 'u', second, 'text/plain');
      expect(await s.rt.blobs.stat(first.key)).toBeNull();
      expect(await s.rt.blobs.stat(second.key)).not.toBeNull();
      // an upload refused (the request is deleted meanwhile) takes its file back
      expect(await s.rt.documents.requests.deleteRequest(svc, [requestId!])).toBe(1);
      const late = await s.rt.blobs.putBytes(Buffer.from(`late upload ${Date.now()}`));
      await expect(s.rt.documents.signer.recordUpload(svc, requestId!, 't', 'u', late, 'text/plain')).rejects.toThrow(/is withdrawn/);
      expect(await s.rt.blobs.stat(late.key)).toBeNull();
      expect(blobFiles(s.dataDir)).toEqual(before);
    });

    test('the sweep removes an old orphan and an old temporary file, and keeps referenced and fresh blobs', async () => {
      const old = new Date(Date.now() - 48 * HOUR);
      const blobPath = (key: string) => path.join(s.dataDir, 'blobs', key.slice(0, 2), key);
      const plant = (content: string, when: Date) => {
        const key = sha(content);
        mkdirSync(path.dirname(blobPath(key)), { recursive: true });
        writeFileSync(blobPath(key), content);
        utimesSync(blobPath(key), when, when);
        return key;
      };
      const orphan = plant(`orphan ${Date.now()}`, old);
      const fresh = plant(`fresh orphan ${Date.now()}`, new Date(Date.now() - HOUR));
      const referencedText = `referenced ${Date.now()}`;
      const sdsId = (await upload(referencedText, 'text/plain')).text;
      expect(sdsId).toMatch(/^\d{8}/);
      const referenced = sha(referencedText);
      utimesSync(blobPath(referenced), old, old);
      const requestText = `request doc ${Date.now()}`;
      const { requestId } = await create(provided('d', 'text/plain', Buffer.from(requestText)), viewTask('t', 'd'));
      expect(requestId).toBeDefined();
      utimesSync(blobPath(sha(requestText)), old, old);
      const tmp = path.join(s.dataDir, 'blobs', '.tmp-0123456789abcdef');
      writeFileSync(tmp, 'half an upload');
      utimesSync(tmp, old, old);
      const out = await s.rt.runTimers();
      expect(out.blobs).toBe(2);
      expect(existsSync(blobPath(orphan))).toBe(false);
      expect(existsSync(tmp)).toBe(false);
      expect(existsSync(blobPath(fresh))).toBe(true);
      expect(existsSync(blobPath(referenced))).toBe(true);
      expect((await get(`${s.url}/doc/demo/sds/${sdsId}`)).status).toBe(200);
      expect(existsSync(blobPath(sha(requestText)))).toBe(true);
      // Writing bytes that exist already renews them, so a sweep between a call's blob write and
      // its commit cannot take them.
      const reusedText = `reused ${Date.now()}`;
      const reused = plant(reusedText, old);
      const put = await s.rt.blobs.putBytes(Buffer.from(reusedText));
      expect(put).toMatchObject({ key: reused, created: false });
      expect((await s.rt.blobs.modified(reused))!.getTime()).toBeGreaterThan(Date.now() - HOUR);
      expect((await s.rt.runTimers()).blobs).toBe(0);
      expect(existsSync(blobPath(reused))).toBe(true);
      await s.rt.blobs.delete(reused);
    });
  });

  describe('item 10: addTask checks sds and archive references as createRequest does', () => {
    test('a foreign or unknown ref-sds-id / ref-archive-id inline in addTask is a Client fault, and nothing is stored', async () => {
      const theirs = (await upload(`theirs ${Date.now()}`, 'text/plain', other)).text;
      const { requestId } = await create(provided('d', 'text/plain', Buffer.from('base')), viewTask('t', 'd'));
      const before = blobFiles(s.dataDir);
      const addTask = (doc: string) =>
        call(
          `<add-task-request xmlns="${NS}">${creds()}<request-id>${requestId}</request-id>` +
            `<task id="t2"><document-action type="view">${provided('extra', 'text/plain', Buffer.alloc(100_000, `${Date.now()}`))}</document-action>` +
            `<document-action type="view">${doc}</document-action></task></add-task-request>`,
        );
      for (const ref of [theirs, '12122026unknownunknownunknownunknownunknownunknownunkno']) {
        const r = await addTask(`<document xsi:type="sds-document" id="s" ref-sds-id="${ref}"><description>s</description></document>`);
        expect(r.text).toContain('<faultcode>soap:Client</faultcode>');
        expect(faultString(r.text)).toBe(
          `task/document-action[1]/document/@ref-sds-id: no SDS document "${ref}" exists for service demo (upload it to /doc/demo/sds first)`,
        );
      }
      const a = await addTask('<document xsi:type="archive-document" id="a" ref-archive-id="nope"/>');
      expect(faultString(a.text)).toBe(
        'task/document-action[1]/document/@ref-archive-id: no archived document "nope" exists for service demo',
      );
      expect(blobFiles(s.dataDir)).toEqual(before);
      const st = await call(`<get-status-request xmlns="${NS}">${creds()}<request-id>${requestId}</request-id></get-status-request>`);
      expect(st.text.match(/<task-id>/g)).toHaveLength(1);
    });

    test('an own SDS upload inline in addTask is pinned: its original-uri serves the bytes', async () => {
      const text = `mine ${Date.now()}`;
      const mine = (await upload(text, 'text/plain;charset=utf-8')).text;
      const { requestId } = await create(provided('d', 'text/plain', Buffer.from('base')), viewTask('t', 'd'));
      const r = await call(
        `<add-task-request xmlns="${NS}">${creds()}<request-id>${requestId}</request-id>` +
          `<task id="t2"><document-action type="view"><document xsi:type="sds-document" id="s" ref-sds-id="${mine}"><description>s</description></document></document-action></task></add-task-request>`,
      );
      expect(r.text).not.toContain('Fault');
      // the SDS entry may go; the request keeps the bytes
      expect((await fetch(`${s.url}/doc/demo/sds/${mine}`, { method: 'DELETE', headers: { authorization: auth } })).status).toBe(204);
      const res = await get(`${s.url}/doc/demo/order/${requestId}/t2/s/original`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain;charset=utf-8');
      expect(await res.text()).toBe(text);
    });
  });

  describe('item 14: client mistakes are Client faults and 4xx, never a 500 with a stack', () => {
    const ids = (id: string, n: number) => Array.from({ length: n }, () => `<request-id>${id}</request-id>`).join('');

    test('deleteRequest with 40 000 ids is a Client fault naming request-id; 1 000 distinct ids work', async () => {
      const r = await call(
        `<delete-request-request xmlns="${NS}">${creds()}${Array.from({ length: 40_000 }, (_, i) => `<request-id>x${i}</request-id>`).join('')}</delete-request-request>`,
      );
      expect(r.text).toContain('<faultcode>soap:Client</faultcode>');
      expect(faultString(r.text)).toBe('request-id: at most 1000 per call (got 40000)');
      const { requestId } = await create(provided('d', 'text/plain', Buffer.from('x')), viewTask('t', 'd'));
      const many = Array.from({ length: 999 }, (_, i) => `<request-id>unknown-${i}</request-id>`).join('');
      const ok = await call(
        `<delete-request-request xmlns="${NS}">${creds()}${many}<request-id>${requestId}</request-id></delete-request-request>`,
      );
      expect(ok.text).toMatch(/<deleted>1<\/deleted>/);
    });

    test('getStatus: one id repeated 5 000 times is a Client fault; repeated 3 times it is answered once', async () => {
      const { requestId } = await create(provided('d', 'text/plain', Buffer.from('y')), viewTask('t', 'd'));
      const r = await call(`<get-status-request xmlns="${NS}">${creds()}${ids(requestId!, 5000)}</get-status-request>`);
      expect(r.text).toContain('<faultcode>soap:Client</faultcode>');
      expect(faultString(r.text)).toBe('request-id: at most 1000 per call (got 5000)');
      const three = await call(`<get-status-request xmlns="${NS}">${creds()}${ids(requestId!, 3)}</get-status-request>`);
      expect(three.text.match(/<task-status-info>/g)).toHaveLength(1);
    });

    test('removeDocument (ArchiveService) with over 1 000 archive ids is a Client fault', async () => {
      const body =
        `<remove-document-request xmlns="https://id.signicat.com/definitions/wsdl/Archive-v3"><version>3</version>${creds()}` +
        `${Array.from({ length: 1001 }, (_, i) => `<archive-id>a${i}</archive-id>`).join('')}</remove-document-request>`;
      const r = await post(`${s.url}/ws/archiveservice-v3`, envelope(body));
      expect(r.text).toContain('<faultcode>soap:Client</faultcode>');
      expect(faultString(r.text)).toBe('archive-id: at most 1000 per call (got 1001)');
    });

    test('/pki: a body over 64 KB is 413, a body that is no DER request 400, a broken GET path 400, each with a message', async () => {
      for (const [p, type] of [
        ['/pki/ocsp', 'application/ocsp-request'],
        ['/pki/tsa', 'application/timestamp-query'],
      ] as const) {
        const big = await fetch(`${s.url}${p}`, { method: 'POST', headers: { 'content-type': type }, body: Buffer.alloc(65 * 1024, 0x30) });
        expect(big.status).toBe(413);
        expect(await big.text()).toMatch(/larger than 65536 bytes/);
        const junk = await fetch(`${s.url}${p}`, { method: 'POST', headers: { 'content-type': type }, body: 'hello, this is not DER' });
        expect(junk.status).toBe(400);
        expect(await junk.text()).toMatch(/is not a DER-encoded (OCSPRequest|TimeStampReq)/);
        const gz = await fetch(`${s.url}${p}`, {
          method: 'POST',
          headers: { 'content-type': type, 'content-encoding': 'gzip' },
          body: 'not gzip',
        });
        expect(gz.status).toBe(400);
        expect(await gz.text()).toMatch(/could not be read/);
      }
      const badPath = await fetch(`${s.url}/pki/ocsp/%zz`);
      expect(badPath.status).toBe(400);
      expect(await badPath.text()).toMatch(/^the request could not be read: Failed to decode param/);
      const notDer = await fetch(`${s.url}/pki/ocsp/${encodeURIComponent(Buffer.from('not DER').toString('base64'))}`);
      expect(notDer.status).toBe(400);
      expect(await notDer.text()).toMatch(/not a base64-encoded DER OCSPRequest/);
    });

    test('SDS and document paths that are not valid percent-encoding are 400 with a message', async () => {
      for (const p of ['/doc/demo/sds/%zz', '/doc/demo/archive/%E0%A4%A', '/doc/demo/order/%zz/t/d/original', '/doc/%zz/sds/x']) {
        const r = await get(`${s.url}${p}`);
        expect(r.status).toBe(400);
        expect(r.headers.get('x-content-type-options')).toBe('nosniff');
        expect(await r.text()).toMatch(/^the request could not be read: Failed to decode param/);
      }
    });

    test('SDS text with an unknown or repeated charset is 415 with a message', async () => {
      const unknown = await upload('x', 'text/plain; charset=klingon');
      expect(unknown.status).toBe(415);
      expect(unknown.text).toMatch(/The character set "klingon" is not supported/);
      const repeated = await upload('x', 'text/plain; charset=utf-8; charset=latin1');
      expect(repeated.status).toBe(415);
      expect(repeated.text).toMatch(/is not accepted/);
    });
  });
});
