// src/util/totp.ts against the outside: the RFC 6238 appendix B test vectors (SHA-1, SHA-256 and
// SHA-512, 8 digits) and RFC 4226 appendix D's HOTP values, then Debian's oathtool (oath-toolkit) for
// random secrets and times, as an authenticator app would compute them (6 digits, 30 s, base32).
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { base32Decode, base32Encode, hotp, matchTotp, otpauthUri, totp, totpStep, type TotpAlgorithm } from '../../src/util/totp';

const SEED = {
  sha1: Buffer.from('12345678901234567890'),
  sha256: Buffer.from('12345678901234567890123456789012'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
};

// RFC 6238 appendix B: time (s), algorithm, TOTP
const VECTORS: Array<[number, TotpAlgorithm, string]> = [
  [59, 'sha1', '94287082'],
  [59, 'sha256', '46119246'],
  [59, 'sha512', '90693936'],
  [1111111109, 'sha1', '07081804'],
  [1111111109, 'sha256', '68084774'],
  [1111111109, 'sha512', '25091201'],
  [1111111111, 'sha1', '14050471'],
  [1111111111, 'sha256', '67062674'],
  [1111111111, 'sha512', '99943326'],
  [1234567890, 'sha1', '89005924'],
  [1234567890, 'sha256', '91819424'],
  [1234567890, 'sha512', '93441116'],
  [2000000000, 'sha1', '69279037'],
  [2000000000, 'sha256', '90698825'],
  [2000000000, 'sha512', '38618901'],
  [20000000000, 'sha1', '65353130'],
  [20000000000, 'sha256', '77737706'],
  [20000000000, 'sha512', '47863826'],
];

const oathtool = (args: string[]) => execFileSync('oathtool', args, { encoding: 'utf8' }).trim();

describe('TOTP (RFC 6238) and HOTP (RFC 4226)', () => {
  test.each(VECTORS)('RFC 6238 appendix B: T=%i %s → %s', (time, alg, code) => {
    expect(totp(SEED[alg], time * 1000, { digits: 8, algorithm: alg })).toBe(code);
  });

  test('RFC 4226 appendix D: HOTP for counters 0 to 9', () => {
    const want = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expect(want.map((_, i) => hotp(SEED.sha1, i))).toEqual(want);
  });

  test('base32 (RFC 4648 §10 vectors) both ways; non-base32 is refused', () => {
    const cases: Array<[string, string]> = [
      ['', ''],
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ];
    for (const [plain, enc] of cases) {
      expect(base32Encode(Buffer.from(plain))).toBe(enc);
      expect(base32Decode(enc)?.toString()).toBe(plain);
    }
    expect(base32Decode('mzxw 6ytb oi======')?.toString()).toBe('foobar');
    expect(base32Decode('MZXW1')).toBeUndefined();
  });

  test("the same codes as Debian's oathtool for random secrets and times (6 digits, 30 s, base32 secrets)", () => {
    for (let i = 0; i < 12; i++) {
      const key = randomBytes(20);
      const secs = randomInt(0, 2 ** 32);
      const theirs = oathtool(['--totp', '--base32', '-N', `@${secs}`, base32Encode(key)]);
      expect(theirs).toMatch(/^\d{6}$/);
      expect(totp(key, secs * 1000)).toBe(theirs);
    }
    // and an 8-digit SHA-256 code, the secret in hex as oathtool takes it by default
    const key = randomBytes(32);
    expect(totp(key, 1_765_000_000_000, { digits: 8, algorithm: 'sha256' })).toBe(
      oathtool(['--totp=sha256', '--digits=8', '-N', '@1765000000', key.toString('hex')]),
    );
  });

  test('matchTotp: ±1 step, not before or at the last step used, only well-formed codes', () => {
    const key = randomBytes(20);
    const now = 1_765_000_015_000;
    const step = totpStep(now);
    // the codes of the steps around now, as oathtool prints them (a window of 2 either side)
    const around = oathtool(['--totp', '--base32', '-N', `@${(step - 2) * 30}`, '-w', '4', base32Encode(key)]).split('\n');
    expect(around).toHaveLength(5);
    const code = (d: number) => around[d + 2]!;
    expect(matchTotp(key, code(0), now)).toBe(step);
    expect(matchTotp(key, code(-1), now)).toBe(step - 1);
    expect(matchTotp(key, code(1), now)).toBe(step + 1);
    expect(matchTotp(key, code(2), now)).toBeUndefined();
    expect(matchTotp(key, code(-2), now)).toBeUndefined();
    // once a step was used, its code and earlier ones are refused (no replay)
    expect(matchTotp(key, code(0), now, step)).toBeUndefined();
    expect(matchTotp(key, code(-1), now, step)).toBeUndefined();
    expect(matchTotp(key, code(1), now, step)).toBe(step + 1);
    expect(matchTotp(key, ` ${code(0).slice(0, 3)} ${code(0).slice(3)} `, now)).toBe(step);
    for (const bad of ['', '12345', '1234567', 'abcdef', `${code(0)}0`]) expect(matchTotp(key, bad, now)).toBeUndefined();
  });

  test('the otpauth:// URI an authenticator reads, and oathtool agrees with its secret', () => {
    const key = randomBytes(20);
    const uri = new URL(otpauthUri('segl demo', 'clerk@demo', key));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/segl demo:clerk@demo');
    expect(uri.searchParams.get('issuer')).toBe('segl demo');
    expect(Object.fromEntries([...uri.searchParams].filter(([k]) => k !== 'secret' && k !== 'issuer'))).toEqual({
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
    const secret = uri.searchParams.get('secret')!;
    expect(oathtool(['--totp', '--base32', '-N', '@1700000000', secret])).toBe(totp(key, 1_700_000_000_000));
  });
});
