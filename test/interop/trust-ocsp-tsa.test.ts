// src/trust/ocsp/ and src/trust/tsp/ against openssl 3 (`openssl ocsp` over HTTP, `openssl ts`)
// and against our own checkers.
import '../../src/trust/crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { checkOcspResponse } from '../../src/trust/ocsp/response';
import { ocspGetPath, respondOcsp } from '../../src/trust/ocsp/responder';
import { OcspError, type OcspResponderOptions } from '../../src/trust/ocsp/certid';
import type { CertStatus } from '../../src/trust/sources';
import { readTimestampResponse, readTimestampToken, verifyTimestampToken } from '../../src/trust/tsp/token';
import { requestTimestamp } from '../../src/trust/tsp/request';
import { respondTimestamp } from '../../src/trust/tsp/responder';
import { type TsaOptions } from '../../src/trust/tsp/common';
import { makeTestCa, type TestCa } from '../support/testca';
import { readBody } from '../support/http';

interface Run {
  code: number;
  out: string;
  stdout: string;
}

/** Runs openssl without throwing on a non-zero exit; `out` is stdout and stderr together. */
function openssl(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile('openssl', args, { cwd, encoding: 'utf8', maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}\n${stderr}`, stdout });
    });
  });
}

/** "now" with a non-zero millisecond part, so every response checks the whole-second truncation. */
const nowWithMillis = (): Date => new Date(Math.floor(Date.now() / 1000) * 1000 + 567);
const GENERALIZED_PRINT = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} GMT$/;
const POLICY = '1.3.6.1.4.1.55555.1.1';
const REVOKED_AT = new Date('2024-01-02T03:04:05Z');

let ca: TestCa;
let other: TestCa;
let statuses: Map<string, CertStatus>;
let methods: string[];
let server: http.Server;
let url: string;
let ocspOpts: OcspResponderOptions;
let tsaOpts: TsaOptions;

beforeAll(async () => {
  [ca, other] = await Promise.all([makeTestCa(), makeTestCa('Other')]);
  statuses = new Map();
  methods = [];
  // Serials the CA issued: anything else is 'unknown' (RFC 6960 §2.2).
  ocspOpts = {
    responder: ca.ocsp,
    issuer: ca.root.certificate,
    now: nowWithMillis,
    lookup: async (serial) => statuses.get(serial) ?? { status: 'unknown' },
  };
  tsaOpts = { tsa: ca.tsa, policyOid: POLICY, now: nowWithMillis };
  server = http.createServer((req, res) => {
    void (async () => {
      methods.push(req.method ?? '');
      let der: Uint8Array;
      if (req.method === 'POST' && req.headers['content-type'] === 'application/ocsp-request') {
        der = await readBody(req);
      } else if (req.method === 'GET') {
        try {
          der = ocspGetPath(req.url ?? '');
        } catch {
          der = new Uint8Array();
        }
      } else {
        res.writeHead(405).end();
        return;
      }
      const out = Buffer.from(await respondOcsp(der, ocspOpts));
      res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': out.length }).end(out);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.all([ca.cleanup(), other.cleanup()]);
});

beforeEach(() => {
  statuses.clear();
  statuses.set(ca.ee.serial, { status: 'good' });
  statuses.set(ca.ee2.serial, { status: 'good' });
  methods.length = 0;
});

/** `openssl ocsp` asking our HTTP responder about `cert` (a file in ca.dir). */
function ocspQuery(cert: string, extra: string[] = []): Promise<Run> {
  return openssl(['ocsp', '-issuer', 'ca.pem', '-cert', cert, '-url', url, '-CAfile', 'ca.pem', '-resp_text', ...extra], ca.dir);
}

function nonceHexes(text: string): string[] {
  return [...text.matchAll(/OCSP Nonce:\s*\n\s*([0-9A-Fa-f]+)/g)].map((m) => m[1].toUpperCase());
}

describe('OCSP responder through openssl ocsp over HTTP', () => {
  test('good: response verifies against the CA and the status is good', async () => {
    const r = await ocspQuery('ee.pem');
    expect(r.out).toContain('Response verify OK');
    expect(r.out).toMatch(/ee\.pem: good/);
    // responderID byKey: SHA-1 of the responder's subjectPublicKey bits (a byName id prints a DN)
    const spk = pkijs.Certificate.fromBER(ca.ocsp.certificate.rawData).subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
    expect(r.out).toContain(`Responder Id: ${createHash('sha1').update(spk).digest('hex').toUpperCase()}`);
    expect(methods).toEqual(['POST']);
  });

  test('revoked: reason keyCompromise and the revocation time', async () => {
    statuses.set(ca.ee2.serial, { status: 'revoked', revokedAt: REVOKED_AT, reason: 'keyCompromise' });
    const r = await ocspQuery('ee2.pem');
    expect(r.out).toContain('Response verify OK');
    expect(r.out).toMatch(/ee2\.pem: revoked/);
    expect(r.out).toMatch(/\bReason: keyCompromise/);
    expect(r.out).toContain('Revocation Time: Jan  2 03:04:05 2024 GMT');
  });

  test('held: reason certificateHold', async () => {
    statuses.set(ca.ee2.serial, { status: 'revoked', revokedAt: REVOKED_AT, reason: 'certificateHold' });
    const r = await ocspQuery('ee2.pem');
    expect(r.out).toContain('Response verify OK');
    expect(r.out).toMatch(/ee2\.pem: revoked/);
    expect(r.out).toMatch(/\bReason: certificateHold/);
  });

  test('a serial the CA never issued is unknown', async () => {
    const r = await openssl(['ocsp', '-issuer', 'ca.pem', '-serial', '0x5E01', '-url', url, '-CAfile', 'ca.pem', '-resp_text'], ca.dir);
    expect(r.out).toContain('Response verify OK');
    expect(r.out).toMatch(/0x5E01: unknown/i);
  });

  test('SHA-256 CertIDs are matched too', async () => {
    statuses.set(ca.ee.serial, { status: 'revoked', revokedAt: REVOKED_AT, reason: 'superseded' });
    const r = await openssl(
      ['ocsp', '-issuer', 'ca.pem', '-sha256', '-cert', 'ee.pem', '-url', url, '-CAfile', 'ca.pem', '-resp_text'],
      ca.dir,
    );
    expect(r.out).toContain('Hash Algorithm: sha256');
    expect(r.out).toContain('Response verify OK');
    expect(r.out).toMatch(/ee\.pem: revoked/);
    expect(r.out).toMatch(/\bReason: superseded/);
  });

  test('a CertID naming another issuer is answered unknown', async () => {
    statuses.set(other.ee.serial, { status: 'good' }); // so only the issuer match can make it unknown
    const r = await openssl(
      ['ocsp', '-issuer', join(other.dir, 'ca.pem'), '-cert', join(other.dir, 'ee.pem'), '-url', url, '-noverify', '-resp_text'],
      ca.dir,
    );
    expect(r.out).toMatch(/Cert Status: unknown/);
    expect(r.out).not.toMatch(/Cert Status: good/);
  });

  test('-nonce: the request nonce is echoed', async () => {
    const r = await ocspQuery('ee.pem', ['-nonce', '-req_text']);
    expect(r.out).toContain('Response verify OK');
    expect(r.out).not.toContain('WARNING: no nonce');
    const nonces = nonceHexes(r.out);
    expect(nonces).toHaveLength(2); // once in the request, once in the response
    expect(nonces[0]).toBe(nonces[1]);
    const none = await ocspQuery('ee.pem', ['-no_nonce', '-req_text']);
    expect(nonceHexes(none.out)).toHaveLength(0);
    expect(none.out).toMatch(/ee\.pem: good/);
  });

  test('GET form (RFC 6960 §A.1), standard and url-safe base64', async () => {
    const req = await openssl(['ocsp', '-issuer', 'ca.pem', '-cert', 'ee.pem', '-no_nonce', '-reqout', 'get-req.der'], ca.dir);
    expect(req.code).toBe(0);
    const der = await readFile(join(ca.dir, 'get-req.der'));
    const forms = [encodeURIComponent(der.toString('base64')), der.toString('base64url')];
    for (const form of forms) {
      const resp = await fetch(`${url}${form}`);
      expect(resp.headers.get('content-type')).toBe('application/ocsp-response');
      await writeFile(join(ca.dir, 'get-resp.der'), new Uint8Array(await resp.arrayBuffer()));
      const r = await openssl(
        ['ocsp', '-respin', 'get-resp.der', '-CAfile', 'ca.pem', '-issuer', 'ca.pem', '-cert', 'ee.pem', '-no_nonce'],
        ca.dir,
      );
      expect(r.out).toContain('Response verify OK');
      expect(r.out).toMatch(/ee\.pem: good/);
    }
    expect(methods).toEqual(['GET', 'GET']);
  });

  test('producedAt, thisUpdate and nextUpdate have no fractional seconds', async () => {
    const r = await ocspQuery('ee.pem');
    const times = [...r.out.matchAll(/(Produced At|This Update|Next Update): (.+)$/gm)].map((m) => m[2].trim());
    expect(times.length).toBeGreaterThanOrEqual(3);
    for (const t of times) expect(t).toMatch(GENERALIZED_PRINT);
  });

  test('garbage is answered malformedRequest, not an error', async () => {
    const resp = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: new Uint8Array([0x30, 0x03, 1, 2, 3, 4]),
    });
    const bytes = new Uint8Array(await resp.arrayBuffer());
    expect(resp.status).toBe(200);
    expect([...bytes]).toEqual([0x30, 0x03, 0x0a, 0x01, 0x01]);
    await writeFile(join(ca.dir, 'bad-resp.der'), bytes);
    const r = await openssl(['ocsp', '-respin', 'bad-resp.der', '-resp_text'], ca.dir);
    expect(r.out).toMatch(/Responder Error: malformedrequest \(1\)/);
    const get = new Uint8Array(await (await fetch(`${url}not-base64!!`)).arrayBuffer());
    expect([...get]).toEqual([0x30, 0x03, 0x0a, 0x01, 0x01]);
  });
});

describe('ocspGetPath', () => {
  test('decodes url-encoded standard base64 and url-safe base64 alike', () => {
    const bytes = new Uint8Array([0x30, 0xfb, 0xff, 0xfe, 0x01]);
    const std = Buffer.from(bytes).toString('base64');
    expect(std).toMatch(/[+/]/);
    expect([...ocspGetPath(`/${encodeURIComponent(std)}`)]).toEqual([...bytes]);
    expect([...ocspGetPath(Buffer.from(bytes).toString('base64url'))]).toEqual([...bytes]);
    expect(() => ocspGetPath('/abc$')).toThrow(RangeError);
  });
});

/** An OCSP request for `certPem` made by openssl (so tests do not depend on our own encoder). */
async function opensslRequest(dir: string, issuerPem: string, certPem: string, extra: string[] = []): Promise<Uint8Array> {
  const out = join(dir, `req-${Math.random().toString(36).slice(2)}.der`);
  const r = await openssl(['ocsp', '-issuer', issuerPem, '-cert', certPem, '-reqout', out, ...extra], dir);
  expect(r.code).toBe(0);
  return new Uint8Array(await readFile(out));
}

describe('checkOcspResponse', () => {
  test('returns each status from a delegated responder, times in whole seconds', async () => {
    const req = await opensslRequest(ca.dir, 'ca.pem', 'ee2.pem');
    for (const s of [
      { status: 'good' },
      { status: 'unknown' },
      { status: 'revoked', revokedAt: REVOKED_AT, reason: 'cessationOfOperation' },
      { status: 'revoked', revokedAt: REVOKED_AT },
    ] as CertStatus[]) {
      statuses.set(ca.ee2.serial, s);
      const res = await checkOcspResponse(await respondOcsp(req, ocspOpts), { issuer: ca.root.certificate, serialHex: ca.ee2.serial });
      expect(res.status).toEqual(s);
      expect(res.producedAt.getUTCMilliseconds()).toBe(0);
      expect(res.thisUpdate.getTime()).toBe(res.producedAt.getTime());
      expect(res.producedAt.getTime()).toBeGreaterThan(Date.now() - 5000);
      expect(res.responder.equal(ca.ocsp.certificate)).toBe(true);
    }
  });

  test('the CA may answer for itself', async () => {
    const req = await opensslRequest(ca.dir, 'ca.pem', 'ee.pem');
    const resp = await respondOcsp(req, { ...ocspOpts, responder: ca.root });
    const res = await checkOcspResponse(resp, { issuer: ca.root.certificate, serialHex: ca.ee.serial });
    expect(res.status).toEqual({ status: 'good' });
  });

  test('the nonce is checked when given', async () => {
    const req = await opensslRequest(ca.dir, 'ca.pem', 'ee.pem', ['-nonce']);
    const parsed = pkijs.OCSPRequest.fromBER(req);
    const ext = parsed.tbsRequest.requestExtensions!.find((e) => e.extnID === '1.3.6.1.5.5.7.48.1.2')!;
    const nonce = (asn1js.fromBER(ext.extnValue.valueBlock.valueHexView).result as asn1js.OctetString).valueBlock.valueHexView;
    const resp = await respondOcsp(req, ocspOpts);
    await expect(checkOcspResponse(resp, { issuer: ca.root.certificate, serialHex: ca.ee.serial, nonce })).resolves.toBeTruthy();
    const wrong = new Uint8Array(nonce);
    wrong[0] ^= 1;
    await expect(checkOcspResponse(resp, { issuer: ca.root.certificate, serialHex: ca.ee.serial, nonce: wrong })).rejects.toThrow(/nonce/);
  });

  test('a tampered signature is refused', async () => {
    const resp = await respondOcsp(await opensslRequest(ca.dir, 'ca.pem', 'ee.pem'), ocspOpts);
    const bad = new Uint8Array(resp);
    const basic = pkijs.BasicOCSPResponse.fromBER(pkijs.OCSPResponse.fromBER(resp).responseBytes!.response.valueBlock.valueHexView);
    const sig = Buffer.from(basic.signature.valueBlock.valueHexView);
    const at = Buffer.from(bad).indexOf(sig);
    expect(at).toBeGreaterThan(0);
    bad[at + 10] ^= 0xff;
    await expect(checkOcspResponse(bad, { issuer: ca.root.certificate, serialHex: ca.ee.serial })).rejects.toThrow(OcspError);
  });

  test('a responder without id-kp-OCSPSigning is refused unless trusted locally', async () => {
    const req = await opensslRequest(ca.dir, 'ca.pem', 'ee.pem');
    const resp = await respondOcsp(req, { ...ocspOpts, responder: ca.ee2 });
    await expect(checkOcspResponse(resp, { issuer: ca.root.certificate, serialHex: ca.ee.serial })).rejects.toThrow(/authorised responder/);
    const ok = await checkOcspResponse(resp, {
      issuer: ca.root.certificate,
      serialHex: ca.ee.serial,
      responderTrust: [ca.ee2.certificate],
    });
    expect(ok.status).toEqual({ status: 'good' });
  });

  test("another CA's OCSP responder is refused", async () => {
    const req = await opensslRequest(ca.dir, 'ca.pem', 'ee.pem');
    const resp = await respondOcsp(req, { ...ocspOpts, responder: other.ocsp });
    await expect(checkOcspResponse(resp, { issuer: ca.root.certificate, serialHex: ca.ee.serial })).rejects.toThrow(/authorised responder/);
  });

  test('a response for another serial, and error responses, are refused', async () => {
    const resp = await respondOcsp(await opensslRequest(ca.dir, 'ca.pem', 'ee.pem'), ocspOpts);
    await expect(checkOcspResponse(resp, { issuer: ca.root.certificate, serialHex: ca.ee2.serial })).rejects.toThrow(/no status/);
    const malformed = await respondOcsp(new Uint8Array([1, 2, 3]), ocspOpts);
    await expect(checkOcspResponse(malformed, { issuer: ca.root.certificate, serialHex: ca.ee.serial })).rejects.toThrow(
      /malformedRequest/,
    );
  });

  test("several responders (one per issuing CA): the one of the CA the request names signs; another CA's CertID in it is unknown", async () => {
    const otherOpts: OcspResponderOptions = {
      responder: other.ocsp,
      issuer: other.root.certificate,
      lookup: async () => ({ status: 'good' }),
    };
    const both = [ocspOpts, otherOpts];
    const mine = await checkOcspResponse(await respondOcsp(await opensslRequest(ca.dir, 'ca.pem', 'ee.pem'), both), {
      issuer: ca.root.certificate,
      serialHex: ca.ee.serial,
    });
    expect(mine.status).toEqual({ status: 'good' });
    expect(mine.responder.equal(ca.ocsp.certificate)).toBe(true);
    const theirs = await checkOcspResponse(await respondOcsp(await opensslRequest(other.dir, 'ca.pem', 'ee.pem'), both), {
      issuer: other.root.certificate,
      serialHex: other.ee.serial,
    });
    expect(theirs.status).toEqual({ status: 'good' });
    expect(theirs.responder.equal(other.ocsp.certificate)).toBe(true);
    // One request naming both CAs, the other CA first: its responder signs, and says nothing about ca's certificate.
    const mixed = await respondOcsp(
      await opensslRequest(ca.dir, join(other.dir, 'ca.pem'), join(other.dir, 'ee.pem'), ['-issuer', 'ca.pem', '-cert', 'ee.pem']),
      both,
    );
    await expect(checkOcspResponse(mixed, { issuer: ca.root.certificate, serialHex: ca.ee.serial })).rejects.toThrow(
      /authorised responder/,
    );
    const unvouched = await checkOcspResponse(mixed, {
      issuer: ca.root.certificate,
      serialHex: ca.ee.serial,
      responderTrust: [other.ocsp.certificate],
    });
    expect(unvouched.status).toEqual({ status: 'unknown' });
    expect((await checkOcspResponse(mixed, { issuer: other.root.certificate, serialHex: other.ee.serial })).status).toEqual({
      status: 'good',
    });
  });

  test('a failing lookup gives internalError', async () => {
    const req = await opensslRequest(ca.dir, 'ca.pem', 'ee.pem');
    const resp = await respondOcsp(req, {
      ...ocspOpts,
      lookup: async () => {
        throw new Error('db down');
      },
    });
    expect([...resp]).toEqual([0x30, 0x03, 0x0a, 0x01, 0x02]);
  });
});

// ---------------------------------------------------------------------------------------------

const DATA = 'segl time-stamped document\n';

/** `openssl ts -query` for data.txt in ca.dir with `args`, answered by respondTimestamp into `name`.tsr. */
async function tsRoundTrip(
  name: string,
  args: string[],
  opts: TsaOptions = tsaOpts,
): Promise<{ resp: Uint8Array; tsq: string; tsr: string }> {
  await writeFile(join(ca.dir, 'data.txt'), DATA);
  const tsq = `${name}.tsq`;
  const tsr = `${name}.tsr`;
  const q = await openssl(['ts', '-query', '-data', 'data.txt', ...args, '-out', tsq], ca.dir);
  expect(q.code).toBe(0);
  const resp = await respondTimestamp(await readFile(join(ca.dir, tsq)), opts);
  await writeFile(join(ca.dir, tsr), resp);
  return { resp, tsq, tsr };
}

function verifyArgs(tsr: string, extra: string[]): string[] {
  return ['ts', '-verify', '-data', 'data.txt', '-in', tsr, '-CAfile', 'ca.pem', ...extra];
}

describe('TSA through openssl ts', () => {
  test('a SHA-256 query with -cert is granted and verifies with -data and -queryfile', async () => {
    const { tsq, tsr, resp } = await tsRoundTrip('cert', ['-sha256', '-cert']);
    expect(readTimestampResponse(resp).status).toBe(0);
    const v = await openssl(verifyArgs(tsr, ['-untrusted', 'tsa.pem']), ca.dir);
    expect(v.out).toContain('Verification: OK');
    const vq = await openssl(['ts', '-verify', '-queryfile', tsq, '-in', tsr, '-CAfile', 'ca.pem'], ca.dir);
    expect(vq.out).toContain('Verification: OK');
    await writeFile(join(ca.dir, 'other.txt'), 'not the document');
    const wrong = await openssl(['ts', '-verify', '-data', 'other.txt', '-in', tsr, '-CAfile', 'ca.pem'], ca.dir);
    expect(wrong.out).not.toContain('Verification: OK');
  });

  test('the reply shows the echoed nonce, the policy and a whole-second time', async () => {
    const { tsq, tsr } = await tsRoundTrip('text', ['-sha256', '-cert']);
    const q = await openssl(['ts', '-query', '-in', tsq, '-text'], ca.dir);
    const reqNonce = /Nonce: (0x[0-9A-F]+)/i.exec(q.out)?.[1];
    expect(reqNonce).toBeDefined();
    const r = await openssl(['ts', '-reply', '-in', tsr, '-text'], ca.dir);
    expect(r.out).toContain('Status: Granted.');
    expect(r.out).toContain(`Policy OID: ${POLICY}`);
    expect(r.out).toContain(`Nonce: ${reqNonce}`);
    expect(r.out).toMatch(/Accuracy: 0x01 seconds/);
    expect(r.out).toMatch(/TSA: DirName:.*segl Test TSA/);
    const time = /Time stamp: (.+)$/m.exec(r.out)?.[1].trim();
    expect(time).toMatch(GENERALIZED_PRINT);
  });

  test('without a nonce and without -cert the token carries no certificate', async () => {
    const { tsr, resp } = await tsRoundTrip('nocert', ['-sha256', '-no_nonce']);
    const info = readTimestampToken(readTimestampResponse(resp).token!);
    expect(info.certificates).toHaveLength(0);
    expect(info.nonce).toBeUndefined();
    const r = await openssl(['ts', '-reply', '-in', tsr, '-text'], ca.dir);
    expect(r.out).toContain('Nonce: unspecified');
    expect((await openssl(verifyArgs(tsr, ['-untrusted', 'tsa.pem']), ca.dir)).out).toContain('Verification: OK');
    expect((await openssl(verifyArgs(tsr, []), ca.dir)).out).not.toContain('Verification: OK');
    // control: with -cert the TSA certificate is there
    const withCert = await tsRoundTrip('withcert', ['-sha256', '-cert']);
    const certs = readTimestampToken(readTimestampResponse(withCert.resp).token!).certificates;
    expect(certs).toHaveLength(1);
    expect(certs[0].equal(ca.tsa.certificate)).toBe(true);
  });

  test('SHA-1 and MD5 queries are rejected with badAlg; SHA-512 is granted', async () => {
    for (const alg of ['-sha1', '-md5']) {
      const { tsr, resp } = await tsRoundTrip(`alg${alg}`, [alg, '-cert']);
      expect(readTimestampResponse(resp)).toMatchObject({ status: 2, failInfo: ['badAlg'] });
      const r = await openssl(['ts', '-reply', '-in', tsr, '-text'], ca.dir);
      expect(r.out).toContain('Status: Rejected.');
      expect(r.out).toContain('unrecognized or unsupported algorithm identifier');
    }
    const { tsr } = await tsRoundTrip('sha512', ['-sha512', '-cert']);
    expect((await openssl(verifyArgs(tsr, []), ca.dir)).out).toContain('Verification: OK');
  });

  test('malformed requests are rejected with badDataFormat', async () => {
    const resp = await respondTimestamp(new Uint8Array([0x30, 0x02, 0x02, 0x00, 0xff]), tsaOpts);
    expect(readTimestampResponse(resp)).toMatchObject({ status: 2, failInfo: ['badDataFormat'] });
    await writeFile(join(ca.dir, 'bad.tsr'), resp);
    const r = await openssl(['ts', '-reply', '-in', 'bad.tsr', '-text'], ca.dir);
    expect(r.out).toContain('the data submitted has the wrong format');
  });

  test('a policy the TSA does not offer is rejected with unacceptedPolicy', async () => {
    const { resp } = await tsRoundTrip('badpolicy', ['-sha256', '-tspolicy', '1.2.3.4']);
    expect(readTimestampResponse(resp)).toMatchObject({ status: 2, failInfo: ['unacceptedPolicy'] });
    const { tsr } = await tsRoundTrip('ourpolicy', ['-sha256', '-cert', '-tspolicy', POLICY]);
    expect((await openssl(verifyArgs(tsr, []), ca.dir)).out).toContain('Verification: OK');
  });
});

describe('TSA token contents and client helpers', () => {
  const data = new TextEncoder().encode(DATA);
  const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

  async function token(opts: TsaOptions = tsaOpts, nonce?: bigint): Promise<Uint8Array> {
    const resp = readTimestampResponse(await respondTimestamp(requestTimestamp(sha256(data), { hashAlgorithm: 'SHA-256', nonce }), opts));
    expect(resp.status).toBe(0);
    return resp.token!;
  }

  test('signed attributes: contentType, messageDigest and ESS signing-certificate-v2 with the SHA-256 cert hash, DER-ordered', async () => {
    const ci = pkijs.ContentInfo.fromBER(await token());
    const si = new pkijs.SignedData({ schema: ci.content }).signerInfos[0];
    const attrs = si.signedAttrs!.attributes;
    expect(attrs.map((a) => a.type)).toEqual(['1.2.840.113549.1.9.3', '1.2.840.113549.1.9.4', '1.2.840.113549.1.9.16.2.47']);
    const ders = attrs.map((a) => Buffer.from(a.toSchema().toBER()));
    expect([...ders].sort(Buffer.compare)).toEqual(ders);
    const ess = attrs[2].values[0] as asn1js.Sequence;
    const certId = ((ess.valueBlock.value[0] as asn1js.Sequence).valueBlock.value[0] as asn1js.Sequence).valueBlock.value;
    expect(certId[0]).toBeInstanceOf(asn1js.OctetString); // hashAlgorithm omitted: SHA-256 is the DEFAULT
    expect(Buffer.from((certId[0] as asn1js.OctetString).valueBlock.valueHexView)).toEqual(
      createHash('sha256').update(new Uint8Array(ca.tsa.certificate.rawData)).digest(),
    );
  });

  test('requestTimestamp makes a request openssl reads and verifies against', async () => {
    const nonce = 0xfedcba9876543210n;
    const req = requestTimestamp(sha256(data), { hashAlgorithm: 'SHA-256', nonce });
    await writeFile(join(ca.dir, 'ours.tsq'), req);
    const q = await openssl(['ts', '-query', '-in', 'ours.tsq', '-text'], ca.dir);
    expect(q.out).toContain('Hash Algorithm: sha256');
    expect(q.out).toContain('Nonce: 0xFEDCBA9876543210');
    expect(q.out).toContain('Certificate required: yes');
    const resp = await respondTimestamp(req, tsaOpts);
    await writeFile(join(ca.dir, 'ours.tsr'), resp);
    await writeFile(join(ca.dir, 'data.txt'), DATA);
    const v = await openssl(['ts', '-verify', '-queryfile', 'ours.tsq', '-in', 'ours.tsr', '-CAfile', 'ca.pem'], ca.dir);
    expect(v.out).toContain('Verification: OK');
    const info = readTimestampToken(readTimestampResponse(resp).token!);
    expect(info.nonce).toBe(nonce);
    expect(info.policy).toBe(POLICY);
    expect(info.messageImprint.hashAlgorithm).toBe('2.16.840.1.101.3.4.2.1');
    expect(Buffer.from(info.messageImprint.hashedMessage)).toEqual(Buffer.from(sha256(data)));
    expect(info.genTime.getUTCMilliseconds()).toBe(0);
    expect(Math.abs(info.genTime.getTime() - Date.now())).toBeLessThan(5000);
  });

  test('verifyTimestampToken: true for the data, false for other data, another certificate or a tampered token', async () => {
    const tok = await token();
    expect(await verifyTimestampToken(tok, data, ca.tsa.certificate)).toBe(true);
    expect(await verifyTimestampToken(tok, new TextEncoder().encode('other'), ca.tsa.certificate)).toBe(false);
    expect(await verifyTimestampToken(tok, data, ca.ee.certificate)).toBe(false);
    expect(await verifyTimestampToken(tok, data, other.tsa.certificate)).toBe(false);
    const signed = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(tok).content });
    const sig = Buffer.from(signed.signerInfos[0].signature.valueBlock.valueHexView);
    const bad = new Uint8Array(tok);
    bad[Buffer.from(bad).indexOf(sig) + 5] ^= 0xff;
    expect(await verifyTimestampToken(bad, data, ca.tsa.certificate)).toBe(false);
    // a token from another TSA identity does not verify against ours
    expect(await verifyTimestampToken(await token({ ...tsaOpts, tsa: other.tsa }), data, ca.tsa.certificate)).toBe(false);
  });

  test('50 tokens have 50 distinct serials; a serial source is used as given', async () => {
    const serials = await Promise.all(Array.from({ length: 50 }, async () => readTimestampToken(await token()).serial));
    expect(new Set(serials).size).toBe(50);
    let n = 254n;
    const counted = { ...tsaOpts, serial: () => ++n };
    expect(readTimestampToken(await token(counted)).serial).toBe('ff');
    expect(readTimestampToken(await token(counted)).serial).toBe('0100');
  });
});
