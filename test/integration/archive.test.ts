// The archive: send-to-archive copies originals with no time limit, archive-documents reuse them,
// ArchiveService v3 (node-soap client from segl's WSDL) reads and removes them idempotently, and
// deleting a request removes its own bytes but never archived ones.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as soap from 'soap';
import { databases, startServer, type TestServer } from '../support/server';
import { envelope, faultString, NS, post } from '../support/soap';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
type Client = soap.Client & Record<string, (args: unknown) => Promise<[any, string]>>;

describe.each(databases())('archive on %s', (db) => {
  let s: TestServer;
  let archive: Client;
  let requestId: string;
  let archiveId: string;
  const kept = `kept forever ${Date.now()}`;
  const transient = `transient ${Date.now()}`;
  const cred = () => `<service>demo</service><password>${s.demoPassword}</password>`;
  const get = (url: string, who = basic('demo', s.demoPassword)) => fetch(url, { headers: { authorization: who } });
  const blobFile = (content: string) => path.join(s.dataDir, 'blobs', sha(content).slice(0, 2), sha(content));

  beforeAll(async () => {
    s = await startServer(db);
    await s.rt.services.create('other', 'other-password-1');
    archive = (await soap.createClientAsync(`${s.url}/ws/archiveservice-v3?wsdl`)) as Client;
    const doc = (id: string, text: string, archiveIt: boolean) =>
      `<document xsi:type="provided-document" id="${id}" mime-type="text/plain"${archiveIt ? ' send-to-archive="true"' : ''}><data>${Buffer.from(text).toString('base64')}</data><description>${id}</description></document>`;
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}">${cred()}<request>${doc('k', kept, true)}${doc('t', transient, false)}` +
          '<task id="t1"><document-action type="sign"><document-ref>k</document-ref></document-action><document-action type="view"><document-ref>t</document-ref></document-action></task>' +
          '</request></create-request-request>',
      ),
    );
    expect(r.status).toBe(200);
    requestId = /<request-id>([^<]+)</.exec(r.text)![1]!;
  });
  afterAll(async () => {
    await s.stop();
  });

  test('send-to-archive gives the original an archive id, shown in task-info', async () => {
    const r = await post(
      s.endpoint,
      envelope(
        `<find-tasks-request xmlns="${NS}">${cred()}<filter><criteria><field>request-id</field>` +
          `<value xmlns:xs="http://www.w3.org/2001/XMLSchema" xsi:type="xs:string">${requestId}</value></criteria></filter></find-tasks-request>`,
      ),
    );
    archiveId = /archive-id="([^"]+)"/.exec(r.text)![1]!;
    expect(archiveId).toMatch(/^\d{8}[0-9a-z]{49,50}$/);
    const got = await get(`${s.url}/doc/demo/archive/${archiveId}`);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe(kept);
    expect((await get(`${s.url}/doc/other/archive/${archiveId}`, basic('other', 'other-password-1'))).status).toBe(404);
  });

  test('ArchiveService getDocument returns the MIME type and bytes', async () => {
    const [res] = await archive.getDocumentAsync!({ version: '3.0', service: 'demo', password: s.demoPassword, 'archive-id': archiveId });
    expect(res['archive-id']).toBe(archiveId);
    expect(res['mime-type']).toBe('text/plain');
    expect(Buffer.from(res.data, 'base64').toString()).toBe(kept);
    await expect(
      archive.getDocumentAsync!({ version: '2', service: 'demo', password: s.demoPassword, 'archive-id': archiveId }),
    ).rejects.toThrow(/version: must be 3 or 3.0/);
    await expect(
      archive.getDocumentAsync!({ version: '3', service: 'other', password: 'other-password-1', 'archive-id': archiveId }),
    ).rejects.toThrow(`archive-id: no archived document "${archiveId}" exists for service other`);
  });

  test('an archive-document in a new request serves the archived bytes as its original', async () => {
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}">${cred()}<request>` +
          `<document xsi:type="archive-document" id="a" ref-archive-id="${archiveId}"/>` +
          '<task id="t1"><document-action type="view"><document-ref>a</document-ref></document-action></task></request></create-request-request>',
      ),
    );
    expect(r.status).toBe(200);
    const id = /<request-id>([^<]+)</.exec(r.text)![1]!;
    expect(await (await get(`${s.url}/doc/demo/order/${id}/t1/a/original`)).text()).toBe(kept);
    const bad = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}">${cred()}<request>` +
          '<document xsi:type="archive-document" id="a" ref-archive-id="nope"/>' +
          '<task id="t1"><document-action type="view"><document-ref>a</document-ref></document-action></task></request></create-request-request>',
      ),
    );
    expect(faultString(bad.text)).toBe('request[0]/document[0]/@ref-archive-id: no archived document "nope" exists for service demo');
  });

  test("deleteRequest removes the request's own bytes but keeps archived ones", async () => {
    expect(existsSync(blobFile(transient))).toBe(true);
    const d = await post(
      s.endpoint,
      envelope(`<delete-request-request xmlns="${NS}">${cred()}<request-id>${requestId}</request-id></delete-request-request>`),
    );
    expect(d.text).toContain('<deleted>1</deleted>');
    expect(existsSync(blobFile(transient))).toBe(false);
    expect(existsSync(blobFile(kept))).toBe(true);
    expect((await get(`${s.url}/doc/demo/order/${requestId}/t1/t/original`)).status).toBe(404);
    expect(await (await get(`${s.url}/doc/demo/archive/${archiveId}`)).text()).toBe(kept);
  });

  test("removeDocument removes only this service's ids, reports them, and is idempotent", async () => {
    const [theirs] = await archive.removeDocumentAsync!({
      version: '3',
      service: 'other',
      password: 'other-password-1',
      'archive-id': [archiveId],
    });
    expect(theirs?.['archive-id'] ?? []).toEqual([]);
    const [first] = await archive.removeDocumentAsync!({
      version: '3',
      service: 'demo',
      password: s.demoPassword,
      'archive-id': [archiveId, 'unknown-id', archiveId],
    });
    expect(first['archive-id']).toEqual([archiveId]);
    const [again] = await archive.removeDocumentAsync!({
      version: '3',
      service: 'demo',
      password: s.demoPassword,
      'archive-id': [archiveId],
    });
    expect(again?.['archive-id'] ?? []).toEqual([]);
    expect((await get(`${s.url}/doc/demo/archive/${archiveId}`)).status).toBe(404);
    // The second request still pins the blob through its archive-document.
    expect(existsSync(blobFile(kept))).toBe(true);
  });
});
