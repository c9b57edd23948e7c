// Tenant isolation of the console's direct URLs (src/console/routes.ts), on each database: another service's
// signed request with a finished PAdES package — its page, its original, its signed result (LTV-SDO) and its
// package download — answers 404 to this service's manager and viewer sessions and gives none of its bytes,
// while the owning service's own session gets each of them (so the URLs are the right ones); nor does it show
// in this service's list or search.
import { sqlDatabase } from '../../src/store/sql';
import { generateKeys } from '../../src/trust/crypto';
import { consoleLogins, type ConsoleLogins } from '../support/console';
import { makePdf } from '../support/pdf';
import { eventually } from '../support/receiver';
import { signTask } from '../support/sign';
import { envelope, NS, post } from '../support/soap';
import { databases, startServer, type TestServer } from '../support/server';

describe.each(databases())('console: another service’s downloads by direct URL (%s)', (db) => {
  let s: TestServer;
  let theirs: string;
  const as: Record<'demo' | 'other', ConsoleLogins> = {} as never;
  const get = async (cookie: string, path: string) => {
    const r = await fetch(`${s.url}${path}`, { headers: { cookie }, redirect: 'manual' });
    return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
  };

  beforeAll(async () => {
    s = await startServer(db, {}, { worker: true });
    await s.rt.services.create('other', 'other-password-1');
    const pdf = makePdf({ text: 'Their loan agreement 0815' });
    const request =
      `<client-reference>their-ref-0815</client-reference>` +
      `<document xsi:type="provided-document" id="loan" mime-type="application/pdf"><data>${pdf.toString('base64')}</data><description>Loan</description></document>` +
      '<task id="t1"><document-action type="sign"><document-ref>loan</document-ref></document-action></task>' +
      '<packaging-task packaging-task-id="p1" method="pades"><packaging-task-document task-id="t1" document-id="loan"/></packaging-task>';
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>other</service><password>other-password-1</password><request>${request}</request></create-request-request>`,
      ),
    );
    theirs = /<request-id>([^<]+)</.exec(r.text)?.[1] ?? '';
    if (!theirs) throw new Error(r.text);
    const keys = await generateKeys();
    const certificate = await (
      await s.rt.ca()
    ).issuePerson({ commonName: 'Their Signer', pid: '9208-2002-2-515151515151', publicKey: keys.publicKey });
    const signed = await signTask(s.rt, (await s.rt.services.find('other'))!, theirs, { certificate, keys }, { documentIds: ['loan'] });
    if (!signed.ok) throw new Error(JSON.stringify(signed));
    await eventually(
      async () => {
        const rows = await sqlDatabase(s.rt.db).tx((q) =>
          q.all<{ status: string }>('SELECT status FROM packaging_task WHERE request_id = ?', [theirs]),
        );
        return rows[0]?.status === 'completed' ? rows : null;
      },
      60_000,
      'the package',
    );
    as.demo = await consoleLogins(s, 'demo');
    as.other = await consoleLogins(s, 'other');
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
  });

  test('page, original, result and package: 404 for this service, 200 for the owner', async () => {
    const urls = {
      page: `/console/requests/${theirs}?lang=en`,
      original: `/console/requests/${theirs}/tasks/t1/documents/loan/original`,
      result: `/console/requests/${theirs}/tasks/t1/documents/loan/result`,
      package: `/console/requests/${theirs}/packages/p1`,
    };
    const owner: Record<string, Buffer> = {};
    for (const [name, url] of Object.entries(urls)) {
      const r = await get(as.other.viewer.cookie, url);
      expect([name, r.status]).toEqual([name, 200]);
      owner[name] = r.body;
    }
    expect(owner.original!.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(owner.result!.toString('utf8')).toContain('Their Signer');
    expect(owner.package!.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    for (const role of ['manager', 'viewer'] as const) {
      for (const [name, url] of Object.entries(urls)) {
        const r = await get(as.demo[role].cookie, url);
        expect([role, name, r.status]).toEqual([role, name, 404]);
        const text = r.body.toString('latin1');
        expect(text).not.toContain('%PDF-');
        expect(text).not.toContain('Their Signer');
        expect(text).not.toContain('their-ref-0815');
      }
      const list = (await get(as.demo[role].cookie, '/console?lang=en')).body.toString('utf8');
      const search = (await get(as.demo[role].cookie, '/console?lang=en&reference=their-ref-0815')).body.toString('utf8');
      expect([role, list.includes(theirs), search.includes(theirs)]).toEqual([role, false, false]);
    }
  }, 60_000);
});
