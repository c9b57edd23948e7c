// Employee (MOCES-style) test users, end to end on SQLite over HTTP: the test-user tool creates and
// lists them and refuses a bad CVR number or RID in the tool's language; the employee logs in to a
// task (the task page and the user-authenticated event name the organisation and CVR number) and
// signs it; the sealed LTV-SDO names organisation, CVR and RID, its signer certificate has the
// OCES II employee subject (openssl x509 -text) and chains to the test root (openssl verify), and
// the offline verification (also `segl verify`, which needs `npm run build`) names the employee.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { TEXTS, type Lang } from '../../src/portal/i18n';
import { describe as describeResult, verifyLtvSdo } from '../../src/signing/offline';
import { toPem } from '../../src/testca/pki';
import { envelope, NS, post, REPO } from '../support/soap';
import { startServer, type TestServer } from '../support/server';
import { mainText } from '../support/portalclient';
import { BrowserLike, formBody, step, type Answer } from '../support/portalflow';
import { waitSealed } from '../support/sign';

const exec = promisify(execFile);
const ORG = 'Prøvehuset A/S';
const CVR = '34051178'; // passes modulus 11

describe('employee test users (sqlite)', () => {
  let s: TestServer;
  let dir: string;
  beforeAll(async () => {
    s = await startServer('sqlite');
    dir = mkdtempSync(path.join(os.tmpdir(), 'segl-employee-'));
  });
  afterAll(async () => {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The test-user tool as a browser in `lang`: its CSRF cookie and the token of the last page. */
  const tool = (lang: Lang) => {
    let cookie = '';
    let token = '';
    const take = async (r: Response) => {
      const set = r.headers.getSetCookie().find((c) => c.startsWith('segl_testid='));
      if (set) cookie = set.split(';')[0]!;
      const html = r.status === 303 ? '' : await r.text();
      token = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? token;
      return { status: r.status, html, location: r.headers.get('location') };
    };
    const headers = () => ({ 'accept-language': lang, ...(cookie ? { cookie } : {}) });
    return {
      get: async (p: string) => take(await fetch(`${s.url}${p}`, { redirect: 'manual', headers: headers() })),
      create: async (form: Record<string, string>) =>
        take(
          await fetch(`${s.url}/testid/users`, {
            method: 'POST',
            redirect: 'manual',
            headers: { ...headers(), 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ csrf: token, do: 'create', ...form }),
          }),
        ),
    };
  };
  const employeeForm = (over: Record<string, string> = {}) => {
    const d = s.rt.testid!.autofill('employee');
    return {
      kind: 'employee',
      firstName: d.firstName,
      lastName: d.lastName,
      cpr: d.cpr,
      address: d.address,
      alias: d.alias,
      password: d.password,
      organisation: ORG,
      cvr: CVR,
      rid: '4711',
      ...over,
    };
  };

  test('the tool refuses a bad CVR number, RID or organisation in its language, and a taken CVR-RID; nothing is created', async () => {
    for (const lang of ['da', 'fi'] as const) {
      const b = tool(lang);
      await b.get('/testid/');
      for (const [over, key] of [
        [{ cvr: '12345678' }, 'testid.error.cvr'],
        [{ cvr: '3405117' }, 'testid.error.cvr'],
        [{ rid: '47-11' }, 'testid.error.rid'],
        [{ organisation: '' }, 'testid.error.organisation'],
      ] as const) {
        const form = employeeForm(over);
        const r = await b.create(form);
        expect(r.status).toBe(400);
        expect(mainText(r.html)).toContain(TEXTS[lang][key]);
        expect(r.html).toContain('aria-invalid="true"');
        expect(await s.rt.testid!.user(form.alias)).toBeNull();
      }
    }
  });

  test('an employee is created, shown and listed; the same CVR-RID again is refused; it can be found by CVR-RID', async () => {
    const b = tool('en');
    expect(mainText((await b.get('/testid/')).html)).toContain(TEXTS.en['testid.employees.none']);
    const form = employeeForm({ rid: '90001' });
    const made = await b.create(form);
    expect(made.status).toBe(303);
    const page = await b.get(made.location!);
    const text = mainText(page.html);
    for (const v of [TEXTS.en['testid.kind.employee'], ORG, CVR, '90001', `CVR:${CVR}-RID:90001`]) expect(text).toContain(v);
    const home = mainText((await b.get('/testid/')).html);
    expect(home).toContain(TEXTS.en['testid.employees.title']);
    expect(home).toContain(`${form.firstName} ${form.lastName} ${form.alias} ${ORG} ${CVR} 90001`);

    const again = await b.create(employeeForm({ rid: '90001' }));
    expect(again.status).toBe(400);
    expect(mainText(again.html)).toContain(TEXTS.en['testid.error.employeeTaken']);
    expect((await s.rt.testid!.employees()).filter((u) => u.employee?.rid === '90001')).toHaveLength(1);

    const found = await b.get(`/testid/find?user=${encodeURIComponent(`CVR:${CVR}-RID:90001`)}`);
    expect(found.status).toBe(303);
    expect(found.location).toBe(`/testid/users/${form.alias}`);
  });

  test('an employee logs in and signs; the LTV-SDO, its signer certificate (openssl) and the offline verification name the employee', async () => {
    const draft = { ...s.rt.testid!.autofill('employee'), organisation: ORG, cvr: CVR, rid: '4711', password: 'employee-pw-123' };
    const u = await s.rt.testid!.createUser(draft);
    expect(u.employee).toEqual({ organisation: ORG, cvr: CVR, rid: '4711' });

    const doc = `<document xsi:type="provided-document" id="terms" mime-type="text/plain"><description>Terms</description><data>${Buffer.from('Interest 3 %').toString('base64')}</data></document>`;
    const t =
      '<task id="t1"><document-action type="sign"><document-ref>terms</document-ref></document-action>' +
      '<authentication><method>nemid</method></authentication><signature><method>nemid-sign</method></signature></task>';
    const r = await post(
      s.endpoint,
      envelope(
        `<create-request-request xmlns="${NS}"><service>demo</service><password>${s.demoPassword}</password><request>${doc}${t}</request></create-request-request>`,
      ),
    );
    const requestId = /<request-id>([^<]+)</.exec(r.text)![1]!;
    const url = `/std/docaction/demo?request_id=${requestId}&task_id=t1`;
    const code = async (page: Answer) => {
      const n = /<label for="code">[^<]*?(\d{4})/.exec(page.html)![1]!;
      for (const card of await s.rt.testid!.keyCards(u.alias)) {
        const hit = card.codes.find((c) => c.keyNumber === n && !c.used);
        if (hit) return hit.code;
      }
      throw new Error(`no code ${n}`);
    };

    const b = new BrowserLike(s.url);
    let p = await b.submit(await b.open(url, 'task'), step('login'), { user: `CVR:${CVR}-RID:4711`, password: draft.password }, 'login');
    p = await b.submit(p, step('login/code'), { code: await code(p), do: 'next' }, 'code');
    expect(mainText(p.html)).toContain(`Logged in as an employee of ${ORG} (CVR ${CVR}).`);
    const svc = (await s.rt.services.find('demo'))!;
    const history = await s.rt.documents.requests.getRequestHistory(svc, requestId, 't1');
    expect(history.find((e) => e.event === 'user-authenticated')?.data).toBe(`nemid; employee of ${ORG} (CVR ${CVR}, RID 4711)`);

    await b.open(`/std/docaction/demo/document?request_id=${requestId}&task_id=t1&document_id=terms`, 'document');
    p = await b.submit(await b.open(url, 'wizard'), (f) => f.id === 'sendin', { do: 'sendin' }, 'Send in');
    p = await b.submit(p, step('sign/start'), {}, 'sign/start');
    const signed = await b.request(
      'POST',
      ...formBody(p, step('sign/confirm'), { password: draft.password, code: await code(p), do: 'next' }, 'confirm'),
    );
    expect(signed.status).toBe(200);
    expect((await waitSealed(s.rt, requestId, 't1')).map((x) => x.status)).toEqual(['done']);

    const result = await s.rt.documents.requests.resultDocument(svc, requestId, 't1', 'terms');
    const xml = Buffer.from(await s.rt.blobs.getBytes(result.blobKey)).toString('utf8');
    const description = /<SignerDescription>([\s\S]*?)<\/SignerDescription>/.exec(xml)![1]!;
    expect(description).toContain('<CertificateKind>MOCES</CertificateKind>');
    expect(description).toContain(
      `<SignerOrganisation>${ORG}</SignerOrganisation><SignerCvr>${CVR}</SignerCvr><SignerRid>4711</SignerRid>`,
    );
    expect(description).not.toContain('<SignerPid>');

    // the signer's certificate as the native signature carries it
    const native = /<SignedDataObject>([\s\S]*?)<\/SignedDataObject>/.exec(xml)![1]!;
    const leafB64 = /<(?:\w+:)?X509Certificate>([^<]+)<\/(?:\w+:)?X509Certificate>/.exec(native)![1]!.replace(/\s+/g, '');
    const ca = await s.rt.ca();
    writeFileSync(path.join(dir, 'leaf.pem'), toPem(Buffer.from(leafB64, 'base64'), 'CERTIFICATE'));
    writeFileSync(path.join(dir, 'root.pem'), ca.pem('root'));
    writeFileSync(path.join(dir, 'person-ca.pem'), ca.pem('personCa'));
    const x = await exec('openssl', [
      'x509',
      '-in',
      path.join(dir, 'leaf.pem'),
      '-noout',
      '-text',
      '-nameopt',
      'utf8,sep_comma_plus_space,space_eq',
    ]);
    const subject = /Subject: (.*)/.exec(x.stdout)![1]!;
    expect(subject).toMatch(
      new RegExp(`^(CN = ${u.name} \\+ serialNumber = CVR:${CVR}-RID:4711|serialNumber = CVR:${CVR}-RID:4711 \\+ CN = ${u.name}), `),
    );
    expect(subject).toMatch(new RegExp(`, O = ${ORG} // CVR:${CVR}, C = DK$`));
    expect(x.stdout).toContain('1.3.6.1.4.1.99999.1.2'); // the test MOCES policy
    const v = await exec('openssl', [
      'verify',
      '-CAfile',
      path.join(dir, 'root.pem'),
      '-untrusted',
      path.join(dir, 'person-ca.pem'),
      path.join(dir, 'leaf.pem'),
    ]);
    expect(v.stdout.trim()).toBe(`${path.join(dir, 'leaf.pem')}: OK`);

    const offline = await verifyLtvSdo(xml, [ca.pki.root.certificate]);
    expect(offline.indication).toBe('TOTAL-PASSED');
    expect(describeResult(offline)).toContain(`signer: ${u.name}, employee of ${ORG} (CVR ${CVR}, RID 4711)`);
    // and `segl verify` (the built CLI) prints the same
    writeFileSync(path.join(dir, 'sdo.xml'), xml);
    const cli = await exec(
      process.execPath,
      [path.join(REPO, 'bin', 'segl.js'), 'verify', path.join(dir, 'sdo.xml'), '--anchor', path.join(dir, 'root.pem')],
      {
        env: { ...process.env, DATA_DIR: s.dataDir, LOG_LEVEL: 'silent' },
      },
    );
    expect(cli.stdout).toMatch(/^TOTAL-PASSED/);
    expect(cli.stdout).toContain(`\nsigner: ${u.name}, employee of ${ORG} (CVR ${CVR}, RID 4711)\n`);
  });
});
