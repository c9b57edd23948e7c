// What the OIDC eID method's portal steps share (steps.ts: login; signing.ts: authentication-based
// signature): their dependencies, and what a login begun at the broker keeps until its callback.
import type express from 'express';
import type { Logger } from 'pino';
import type { Ctx, Kit } from '../../portal/kit';
import type { SigningPipeline } from '../../signing/pipeline';
import type { OidcLoginRepository } from '../../store/oidcmethods';
import type { SigningNonceInputs } from '../../trust/oidc/nonce';
import type { OidcMethods } from './methods';
import type { BegunLogin, OidcRelyingParty, RpMethod } from './rp';

export interface OidcDeps {
  methods: OidcMethods;
  logins: OidcLoginRepository;
  rp: OidcRelyingParty;
  /** where the broker sends the browser back: PUBLIC_URL (the real port when PORT=0) */
  publicUrl: () => string;
  /** the platform's signing pipeline (authentication-based signature) */
  signing: () => Promise<SigningPipeline>;
  log: Logger;
}

/** What a login keeps between the broker and the callback (sealed in eid_oidc_login). */
export interface Pending {
  requestId: string;
  taskId: string;
  method: string;
  begun: BegunLogin;
  /** a signing login: what its nonce commits to */
  sign?: { nonceInputs: SigningNonceInputs };
}

/** Stores a login (single use, bound to the session) and sends the browser to the broker; `nonce` and `sign` for a signing login. */
export type BeginLogin = (
  kit: Kit,
  c: Ctx,
  res: express.Response,
  m: RpMethod,
  o?: { nonce: string; sign: NonNullable<Pending['sign']> },
) => Promise<void>;
