// Issue 10 items 1 and 6: production uses no test parts (test eID, test CA) and no weak or
// placeholder secrets; placeholders are refused in every mode. loadConfig is the gate `segl start`
// passes first (a ConfigError is exit code 2), so these run it directly.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ADMIN_PASSWORD_MIN_BITS, estimateSecretBits, loadConfig, SECRET_MIN_BITS } from '../../src/config';
import { productionEnv, strongSecret } from '../support/production';

const refused = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (e) {
    expect((e as Error).name).toBe('ConfigError');
    return (e as Error).message;
  }
  throw new Error(`accepted: ${JSON.stringify(env)}`);
};

describe('production refuses the test eID and the test CA', () => {
  test('SEGL_TEST_EID=1 in production stops the start and says why', () => {
    const msg = refused(productionEnv({ SEGL_TEST_EID: '1' }));
    expect(msg).toContain('production mode refuses to start');
    expect(msg).toContain('SEGL_TEST_EID=1: the test eID lets anyone create a test user with any CPR and sign as that person');
    expect(refused(productionEnv({ SEGL_TEST_EID: 'true' }))).toContain('SEGL_TEST_EID=1');
  });

  test('SEGL_TEST_CA=1 in production is refused: no seal, time-stamp or anchor from the self-made root', () => {
    expect(refused(productionEnv({ SEGL_TEST_CA: '1' }))).toContain('SEGL_TEST_CA=1: the test CA is a self-made root');
  });

  test('production without external trust services names what is missing (the test CA is off by default there)', () => {
    const { SEGL_SEAL_P12: _p, SEGL_TSA_URL: _t, SEGL_TRUST_ANCHORS: _a, ...bare } = productionEnv();
    expect(refused(bare)).toContain(
      'production needs external trust services (the test CA is for preprod only): set SEGL_SEAL_P12 (the seal key), SEGL_TSA_URL (a time-stamping authority), SEGL_TRUST_ANCHORS (trust anchors)',
    );
  });

  test('every problem is listed at once', () => {
    const msg = refused({ SEGL_MODE: 'production', SEGL_TEST_EID: '1', SEGL_SECRET: 'a'.repeat(40) });
    expect(msg).toContain('SEGL_TEST_EID=1');
    expect(msg).toContain('production needs external trust services');
    expect(msg).toContain('SEGL_SECRET is too predictable');
  });

  test('a proper production configuration has neither', () => {
    const cfg = loadConfig(productionEnv());
    expect(cfg.mode).toBe('production');
    expect(cfg.testEid).toBe(false);
    expect(cfg.testCa).toBe(false);
  });

  test('preprod keeps both by default', () => {
    const cfg = loadConfig({});
    expect(cfg.testEid).toBe(true);
    expect(cfg.testCa).toBe(true);
  });
});

describe('secrets: placeholders in every mode, weak ones in production', () => {
  const composePlaceholder = 'change-me-in-production-please-32chars'; // what docker-compose.yml used to default to

  test.each(['preprod', 'production'])('the old docker-compose placeholder is refused in %s', (mode) => {
    const msg = refused(mode === 'production' ? productionEnv({ SEGL_SECRET: composePlaceholder }) : { SEGL_SECRET: composePlaceholder });
    expect(msg).toContain('SEGL_SECRET looks like a default or placeholder');
    expect(msg).toContain('openssl rand -base64 32');
  });

  test.each([
    ['placeholder words', 'replace-me-with-a-long-random-value-00'],
    ['"your secret"', 'your-secret-here-your-secret-here-xyz'],
    ['"example"', 'Example0Example0Example0Example0Exampl'],
  ])('%s are refused in preprod too', (_what, secret) => {
    expect(refused({ SEGL_SECRET: secret })).toContain('SEGL_SECRET looks like a default or placeholder');
  });

  test.each([
    ['aaaa…', 'a'.repeat(40)],
    ['1234…', '1234567890'.repeat(4)],
    ['abcd…', 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN'],
    ['a keyboard walk', 'qwertyuiopasdfghjklzxcvbnmqwertyuiopasdf'],
    ['a short pattern repeated', 'Xq7!Xq7!Xq7!Xq7!Xq7!Xq7!Xq7!Xq7!Xq7!Xq7!'],
    ['two symbols', '0110100110010110100101100110100110010110'],
  ])('production refuses %s', (_what, secret) => {
    expect(estimateSecretBits(secret)).toBeLessThan(SECRET_MIN_BITS);
    const msg = refused(productionEnv({ SEGL_SECRET: secret }));
    expect(msg).toMatch(/SEGL_SECRET is too predictable \(estimated \d+ bits, production needs 128/);
    expect(msg).toContain('openssl rand -base64 32');
    expect(msg).not.toContain(secret); // the value itself never reaches the message (or the logs)
  });

  test('preprod accepts a weak but non-placeholder secret (strength is a production rule)', () => {
    expect(loadConfig({ SEGL_SECRET: 'a'.repeat(40) }).secret).toBe('a'.repeat(40));
  });

  test('real random secrets pass: openssl rand -base64 32 / -hex 32, 200 of each', () => {
    for (let i = 0; i < 200; i++) {
      for (const secret of [strongSecret(), randomBytes(32).toString('hex'), randomBytes(32).toString('base64url')]) {
        expect({ secret, bits: estimateSecretBits(secret) >= SECRET_MIN_BITS }).toEqual({ secret, bits: true });
      }
    }
    expect(loadConfig(productionEnv({ SEGL_SECRET: strongSecret() })).mode).toBe('production');
  });

  test('SEGL_ADMIN_PASSWORD: placeholder refused everywhere, weak refused in production, random accepted', () => {
    expect(refused({ SEGL_ADMIN_PASSWORD: 'change-me-admin-password' })).toContain(
      'SEGL_ADMIN_PASSWORD looks like a default or placeholder',
    );
    expect(refused(productionEnv({ SEGL_ADMIN_PASSWORD: 'aaaaaaaaaaaaaaaaaaaaaaaa' }))).toContain(`SEGL_ADMIN_PASSWORD is too predictable`);
    expect(refused(productionEnv({ SEGL_ADMIN_PASSWORD: '123412341234123412341234' }))).toContain(
      `production needs ${ADMIN_PASSWORD_MIN_BITS}`,
    );
    const pw = randomBytes(18).toString('base64');
    expect(loadConfig(productionEnv({ SEGL_ADMIN_PASSWORD: pw })).notify.adminPassword).toBe(pw);
  });

  test('SEGL_CPR_KEY of zeros (or any made-up pattern) is refused; 32 random bytes pass', () => {
    expect(refused({ SEGL_CPR_KEY: Buffer.alloc(32).toString('base64') })).toContain('SEGL_CPR_KEY is not random');
    expect(refused(productionEnv({ SEGL_CPR_KEY: Buffer.alloc(32, 7).toString('base64') }))).toContain('SEGL_CPR_KEY is not random');
    const key = randomBytes(32);
    expect(loadConfig(productionEnv({ SEGL_CPR_KEY: key.toString('base64') })).cprKey).toEqual(key);
  });

  test('docker-compose.yml, the Dockerfile and .env examples carry no secret that segl would accept', () => {
    const root = path.join(__dirname, '..', '..');
    const compose = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
    // the operator must set it: no default after ${SEGL_SECRET
    expect(compose).toMatch(/SEGL_SECRET: \$\{SEGL_SECRET:\?[^}]+\}/);
    expect(compose).not.toMatch(/SEGL_SECRET:-/);
    expect(readFileSync(path.join(root, 'Dockerfile'), 'utf8')).not.toMatch(/SEGL_SECRET|SEGL_ADMIN_PASSWORD/);
  });
});
