// The configuration of one OpenID Connect eID method of a service (docs/oidc-eid.md; reference
// authentication.md §5.3): the broker (issuer, client, how the client authenticates), what is asked
// (scope, acr_values), which ID-token algorithms are accepted, and the ordered claim names each segl
// field is read from. `segl eid oidc add` checks it with `parseOidcMethodConfig` before it is stored.
import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';

/** Asymmetric JWS algorithms only: `none` and the HMAC ones (HS*) are never accepted (reference §5.7). */
export const ID_TOKEN_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export const DEFAULT_ID_TOKEN_ALGS: Array<(typeof ID_TOKEN_ALGS)[number]> = ['RS256', 'PS256', 'ES256'];

export const CLAIM_FIELDS = ['nationalId', 'nationalIdCountry', 'uniqueId', 'name', 'givenName', 'familyName', 'birthdate'] as const;
export type ClaimField = (typeof CLAIM_FIELDS)[number];

/** Reference §5.3's claim lists: each field takes the first claim present, in this order. */
export const DEFAULT_CLAIMS: Record<ClaimField, string[]> = {
  nationalId: ['nin', 'cprNumberIdentifier', 'ssn', 'signicat.national_id'],
  nationalIdCountry: ['nin_issuing_country', 'country'],
  uniqueId: ['idp_id', 'uuid', 'uniqueuserid', 'sub'],
  name: ['name'],
  givenName: ['given_name'],
  familyName: ['family_name'],
  birthdate: ['birthdate'],
};

/** What a task may name a method in: `authentication`, and `authentication-based-signature` (signing evidence in the LTV-SDO). */
export const OIDC_USES = ['authentication', 'authentication-based-signature'] as const;
export type OidcUse = (typeof OIDC_USES)[number];

const METHOD_NAME = /^[a-z][a-z0-9-]{1,39}$/;
const claimName = z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'a claim name: letters, digits and _ . : - (at most 100)');

const schema = z
  .object({
    name: z.string().regex(METHOD_NAME, 'lower-case letters, digits and -, 2 to 40, starting with a letter'),
    label: z.string().min(1).max(80).optional(),
    // what tasks may use it for: login, and signing by a login whose ID token commits to what is signed (docs/oidc-eid.md)
    use: z.array(z.enum(OIDC_USES)).min(1).default(['authentication']),
    issuer: z.url({ protocol: /^https?$/ }),
    clientId: z.string().min(1).max(255),
    clientAuth: z.enum(['client_secret_basic', 'private_key_jwt']),
    clientSecret: z.string().min(1).max(1024).optional(),
    /** private_key_jwt: the client's private key (PKCS#8 PEM) and its `kid` at the broker */
    privateKeyPem: z.string().max(16_384).optional(),
    privateKeyKid: z.string().max(255).optional(),
    scope: z
      .string()
      .regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, 'space-separated scope tokens (RFC 6749 §3.3)')
      .refine((s) => s.split(' ').includes('openid'), 'must include openid')
      .default('openid profile'),
    acrValues: z.array(z.string().min(1).max(255)).max(20).default([]),
    idTokenAlgs: z.array(z.enum(ID_TOKEN_ALGS)).min(1).default(DEFAULT_ID_TOKEN_ALGS),
    claims: z.partialRecord(z.enum(CLAIM_FIELDS), z.array(claimName).min(1).max(20)).default({}),
    nationalIdRequired: z.boolean().default(true),
  })
  .strict();

export type OidcMethodConfig = Omit<z.infer<typeof schema>, 'claims'> & { claims: Record<ClaimField, string[]> };

/** A field path and rule per problem, the way the CLI prints them. */
export class OidcConfigError extends Error {}

/**
 * The method config from its JSON text, with the defaults filled in; throws OidcConfigError naming
 * each field and rule. http issuers only on loopback (the test IdP): a real broker is https.
 */
export function parseOidcMethodConfig(text: string): OidcMethodConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new OidcConfigError(`the method config is not JSON: ${(e as Error).message}`);
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    throw new OidcConfigError(r.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; '));
  }
  const c = r.data;
  const problems: string[] = [];
  const issuer = new URL(c.issuer);
  if (issuer.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname))
    problems.push('issuer: must be https (http only on loopback, for the test IdP)');
  if (issuer.search || issuer.hash) problems.push('issuer: must have no query or fragment (OIDC Discovery §3)');
  if (c.clientAuth === 'client_secret_basic') {
    if (!c.clientSecret) problems.push('clientSecret: required with client_secret_basic');
    if (c.privateKeyPem) problems.push('privateKeyPem: only with private_key_jwt');
  } else {
    if (!c.privateKeyPem) problems.push('privateKeyPem: required with private_key_jwt (a PKCS#8 PEM private key)');
    else if (!privateKeyOk(c.privateKeyPem)) problems.push('privateKeyPem: not an RSA or EC private key in PEM');
    if (c.clientSecret) problems.push('clientSecret: only with client_secret_basic');
  }
  if (problems.length) throw new OidcConfigError(problems.join('; '));
  return { ...c, claims: { ...DEFAULT_CLAIMS, ...c.claims } };
}

function privateKeyOk(pem: string): boolean {
  try {
    const k = createPrivateKey(pem);
    return k.asymmetricKeyType === 'rsa' || k.asymmetricKeyType === 'ec';
  } catch {
    return false;
  }
}

/** The first claim present (a non-empty string or number) for `field`, from the ID token's claims, then userinfo's. */
export function mappedClaim(
  c: Pick<OidcMethodConfig, 'claims'>,
  field: ClaimField,
  ...sources: Array<Record<string, unknown> | undefined>
): string | undefined {
  for (const name of c.claims[field]) {
    for (const s of sources) {
      const v = s?.[name];
      if ((typeof v === 'string' && v.trim() !== '') || typeof v === 'number') return String(v).trim();
    }
  }
  return undefined;
}

/** National ids compared as reference §5.4 says: without `-` and spaces (CPR DDMMYY-SSSS, personnummer YYYYMMDD-NNNN). */
export const normaliseNationalId = (id: string) => id.replace(/[-\s]/g, '');
