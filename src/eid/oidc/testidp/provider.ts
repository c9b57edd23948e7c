// segl's test eID as an OpenID provider (issue 14 part 6; docs/oidc-eid.md, "bring your own broker"):
// one oidc-provider instance (a certified OP library) per broker dialect, mounted at
// `/testidp/{dialect}` in preprod. Its login page runs the test eID (user id and password, then a
// key-card code); its clients are the OIDC eID methods configured in segl whose issuer is this one
// (client id, secret or public key and the services' callback URLs come from those configs). Its
// state (interactions, codes, sessions) lives in this process's memory: a loopback demo, not a broker.
//
// `oidcProvider` is written so that segl's own OpenID provider for integrators (issue 14 part 3) can
// reuse it: issuer, keys, clients, accounts and the claim set are parameters.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import express from 'express';
import type { Logger } from 'pino';
import Provider, {
  type Adapter,
  type AdapterPayload,
  type ClientMetadata,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider';

/** Where the provider's clients come from (looked up on every use, so a config change takes effect at once). */
export type ClientSource = (clientId: string) => Promise<ClientMetadata | undefined>;

export interface ProviderOptions {
  issuer: string;
  /** the private signing keys, as JWKs (one RS256 key made at start when not given) */
  keys?: Record<string, unknown>[];
  clients: ClientSource;
  findAccount: Configuration['findAccount'];
  /** claims per scope */
  scopes: Record<string, string[]>;
  acrValues: string[];
  /** the path under the issuer's origin where an interaction (login) page lives, by uid */
  interactionUrl: (uid: string) => string;
  log: Logger;
  /** the storage of every model but Client (default: this process's memory) */
  adapter?: (model: string) => Adapter;
  /** the keys that sign the provider's cookies (default: random per process; several processes must share them) */
  cookieKeys?: string[];
  /** called with each grant a login makes, once it is saved */
  onGrant?: (ctx: KoaContextWithOIDC, grantId: string) => Promise<void>;
  /** more or other settings (segl's own provider: client authentication, ttl, policy, errors) */
  configure?: Partial<Configuration>;
}

/** oidc-provider's storage, in this process's memory (with the TTL the provider gives each entry). */
class MemoryStore implements Adapter {
  private static readonly all = new Map<string, { payload: AdapterPayload; until: number }>();
  constructor(private readonly model: string) {}
  private k(id: string) {
    return `${this.model}:${id}`;
  }
  private get(key: string): AdapterPayload | undefined {
    const e = MemoryStore.all.get(key);
    if (!e) return undefined;
    if (e.until < Date.now()) {
      MemoryStore.all.delete(key);
      return undefined;
    }
    return e.payload;
  }
  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    MemoryStore.all.set(this.k(id), { payload, until: Date.now() + (expiresIn || 3600) * 1000 });
    if (payload.uid)
      MemoryStore.all.set(`${this.model}:uid:${payload.uid}`, {
        payload: { id } as AdapterPayload,
        until: Date.now() + (expiresIn || 3600) * 1000,
      });
    if (payload.userCode)
      MemoryStore.all.set(`${this.model}:uc:${payload.userCode}`, {
        payload: { id } as AdapterPayload,
        until: Date.now() + (expiresIn || 3600) * 1000,
      });
  }
  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.get(this.k(id));
  }
  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const ref = this.get(`${this.model}:uid:${uid}`);
    return ref ? this.find(String(ref.id)) : undefined;
  }
  async findByUserCode(code: string): Promise<AdapterPayload | undefined> {
    const ref = this.get(`${this.model}:uc:${code}`);
    return ref ? this.find(String(ref.id)) : undefined;
  }
  async consume(id: string): Promise<void> {
    const p = this.get(this.k(id));
    if (p) p.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id: string): Promise<void> {
    MemoryStore.all.delete(this.k(id));
  }
  async revokeByGrantId(grantId: string): Promise<void> {
    for (const [key, e] of MemoryStore.all) if (e.payload.grantId === grantId) MemoryStore.all.delete(key);
  }
}

/** Clients from a ClientSource, read-only. */
class ClientStore implements Adapter {
  constructor(private readonly source: ClientSource) {}
  async find(id: string): Promise<AdapterPayload | undefined> {
    return (await this.source(id)) as AdapterPayload | undefined;
  }
  async upsert(): Promise<void> {}
  async findByUid(): Promise<undefined> {}
  async findByUserCode(): Promise<undefined> {}
  async consume(): Promise<void> {}
  async destroy(): Promise<void> {}
  async revokeByGrantId(): Promise<void> {}
}

/** An RS256 signing key as a private JWK (made once per process). */
export function newSigningKey(): Record<string, unknown> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    ...(privateKey.export({ format: 'jwk' }) as Record<string, unknown>),
    alg: 'RS256',
    use: 'sig',
    kid: randomBytes(8).toString('hex'),
  };
}

/**
 * An oidc-provider for `issuer`: authorization code with PKCE (required), ID token and userinfo with
 * the scopes' claims, consent granted by the login itself (a first-party login), the interaction
 * (login) pages outside it at `interactionUrl`.
 */
export async function oidcProvider(o: ProviderOptions): Promise<Provider> {
  // loaded on first use: oidc-provider warns on load that it wants Node 22 (it runs on segl's Node 20.19+)
  const { Provider: OidcProvider } = await import('oidc-provider');
  const provider = new OidcProvider(o.issuer, {
    adapter: (name: string) => (name === 'Client' ? new ClientStore(o.clients) : (o.adapter ?? ((m) => new MemoryStore(m)))(name)),
    jwks: { keys: (o.keys ?? [newSigningKey()]) as never },
    findAccount: o.findAccount,
    claims: { ...o.scopes, openid: ['sub', ...(o.scopes.openid ?? [])] },
    scopes: ['openid', ...Object.keys(o.scopes).filter((s) => s !== 'openid')],
    acrValues: o.acrValues,
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    cookies: { keys: o.cookieKeys ?? [randomBytes(32).toString('base64url')] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction) => o.interactionUrl(interaction.uid) },
    // the login is the consent (a broker asks none for a login the relying party started)
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope(String(ctx.oidc.params!.scope ?? 'openid'));
      const grantId = await grant.save();
      await o.onGrant?.(ctx, grantId);
      return grant;
    },
    ttl: { AccessToken: 300, AuthorizationCode: 60, IdToken: 300, Interaction: 600, Session: 600, Grant: 600 },
    renderError: (ctx, out) => {
      ctx.type = 'text/plain';
      ctx.body = `${String(out.error)}: ${String(out.error_description ?? '')}\n`;
    },
    ...o.configure,
  });
  provider.on('server_error', (_ctx, err) => o.log.error({ err: err.message }, 'test IdP: server error'));
  return provider;
}

/** express's urlencoded form parser, bounded, for the interaction pages. */
export const formParser = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });
