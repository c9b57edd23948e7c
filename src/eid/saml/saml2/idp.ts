// segl as a SAML 2.0 identity provider (the gateway model, reference authentication.md §1.4): the
// metadata it publishes, the checks an AuthnRequest passes before a login starts, and the answer
// POSTed to the SP's AssertionConsumerService when the login ends.
//
// A request that fails a check before segl trusts an ACS for it (unknown SP, ACS not in the SP's
// metadata, bad or missing signature, wrong Destination, stale IssueInstant, replayed ID, unreadable
// XML) gets an error page and no redirect: answering to a URL the request names would be an open
// redirect. A trusted request segl cannot satisfy (an unsupported NameIDPolicy, IsPassive with no
// session to reuse) and every login that ends without an identity get a Response with an error
// status at the ACS (saml-core §3.2.2.2). Nothing is stored for a refused request; the request's
// ID is taken (replay cache) only when it is accepted.
import type { Identity } from '../../authn/identity';
import type { EidErrorCode } from '../../errors';
import {
  AuthnRequestError,
  checkRequestWindow,
  parseAuthnRequest,
  verifyEnvelopedSignature,
  verifyRedirectSignature,
  type AuthnRequest,
  type EncodedRequest,
} from '../../../trust/saml2/authnrequest';
import { idpMetadata, type AcsEndpoint } from '../../../trust/saml2/metadata';
import { render } from '../../../trust/xml/c14n';
import type { SamlSp, SamlSpRepository } from '../../../store/samlsps';
import { NAMEID_FORMATS, NAMEID_NATIONAL_ID, NAMEID_PERSISTENT, saml2Response, type Saml2Outcome, type Saml2Signer } from './response';

export { AuthnRequestError };

/** How old an AuthnRequest may be, and how far ahead of segl's clock. */
export const REQUEST_MAX_AGE_MS = 5 * 60_000;
export const REQUEST_SKEW_MS = 60_000;

export interface Saml2IdpOptions {
  sps: SamlSpRepository;
  /** the IdP's entityID (its metadata URL) */
  entityId: () => string;
  /** the SSO endpoint's URL, as SPs send requests to it (Destination) */
  ssoUrl: () => string;
  /** whether segl's metadata says WantAuthnRequestsSigned (each SP's AuthnRequestsSigned still applies) */
  wantAuthnRequestsSigned: boolean;
  signer: () => Promise<Saml2Signer>;
  now: () => Date;
  /** the persistent NameID of a person (PID) at an SP (entityID): pairwise, see persistentNameId */
  persistentId: (spEntityId: string, pid: string) => string;
}

/** An accepted request, waiting for its login; what the answer needs (kept in the login's state). */
export interface Saml2Pending {
  spId: number;
  serviceId: number;
  service: string;
  spEntityId: string;
  acsUrl: string;
  requestId: string;
  relayState?: string;
  nameIdFormat: typeof NAMEID_PERSISTENT | typeof NAMEID_NATIONAL_ID;
  forceAuthn: boolean;
  wantAssertionsSigned: boolean;
}

/** What an accepted request leads to: a login to run, or an error status answered at once. */
export type Accepted =
  { login: Saml2Pending } | { answer: Saml2Pending; status: { top: 'Requester' | 'Responder'; second: string; message: string } };

/** The form the browser POSTs to the ACS (bindings §3.5.4). */
export interface AcsPost {
  acsUrl: string;
  samlResponse: string;
  relayState?: string;
}

const STATUS = 'urn:oasis:names:tc:SAML:2.0:status:';

/** The ACS the request names (by URL or index) or the SP's default (metadata §2.2.3); never a URL outside the metadata. */
export function chooseAcs(sp: SamlSp, req: Pick<AuthnRequest, 'acsUrl' | 'acsIndex'>): AcsEndpoint {
  if (req.acsUrl !== undefined) {
    const found = sp.acs.find((a) => a.url === req.acsUrl);
    if (!found)
      throw new AuthnRequestError(`AssertionConsumerServiceURL ${req.acsUrl} is not an HTTP-POST ACS in the metadata of ${sp.entityId}`);
    return found;
  }
  if (req.acsIndex !== undefined) {
    const found = sp.acs.find((a) => a.index === req.acsIndex);
    if (!found) throw new AuthnRequestError(`AssertionConsumerServiceIndex ${req.acsIndex} is not an HTTP-POST ACS of ${sp.entityId}`);
    return found;
  }
  return sp.acs.find((a) => a.isDefault) ?? sp.acs[0]!;
}

export class Saml2Idp {
  constructor(private readonly o: Saml2IdpOptions) {}

  /** segl's IdP metadata (md:EntityDescriptor), with its XML declaration. */
  async metadata(): Promise<string> {
    const signer = await this.o.signer();
    const xml = render(
      idpMetadata({
        entityId: this.o.entityId(),
        ssoUrl: this.o.ssoUrl(),
        certificateDer: signer.certificateDer,
        wantAuthnRequestsSigned: this.o.wantAuthnRequestsSigned,
        nameIdFormats: NAMEID_FORMATS,
      }),
    );
    return `<?xml version="1.0" encoding="UTF-8"?>\n${xml}\n`;
  }

  /** Checks the request; throws AuthnRequestError (an error page, no redirect) for anything not answerable to a trusted ACS. */
  async accept(enc: EncodedRequest): Promise<Accepted> {
    await this.o.signer(); // no request is taken that could not be answered (a key that cannot be read is a 500 here)
    const req = parseAuthnRequest(enc.xml);
    if (enc.binding === 'redirect' && req.signature)
      throw new AuthnRequestError('an HTTP-Redirect request carries its signature in the query string, not in the XML (bindings §3.4.4.1)');
    const sp = await this.o.sps.byEntityId(req.issuer);
    if (!sp) throw new AuthnRequestError(`no service provider with entityID ${JSON.stringify(req.issuer)} is registered`);
    const signed = await this.verifySignature(enc, req, sp);
    if (!signed && (sp.authnRequestsSigned || this.o.wantAuthnRequestsSigned))
      throw new AuthnRequestError(`${sp.entityId} must sign its AuthnRequests (AuthnRequestsSigned / WantAuthnRequestsSigned)`);
    const now = this.o.now();
    checkRequestWindow(req, signed, { ssoUrl: this.o.ssoUrl(), now, maxAgeMs: REQUEST_MAX_AGE_MS, skewMs: REQUEST_SKEW_MS });
    const acs = chooseAcs(sp, req);
    const keepUntil = new Date(req.issueInstant.getTime() + REQUEST_MAX_AGE_MS + REQUEST_SKEW_MS);
    if (!(await this.o.sps.takeRequestId(sp.id, req.id, keepUntil, now)))
      throw new AuthnRequestError(`the AuthnRequest ID ${req.id} was already used (a request is accepted once)`);
    const format = req.nameIdFormat;
    const pending: Saml2Pending = {
      spId: sp.id,
      serviceId: sp.serviceId,
      service: sp.service,
      spEntityId: sp.entityId,
      acsUrl: acs.url,
      requestId: req.id,
      ...(enc.relayState !== undefined ? { relayState: enc.relayState } : {}),
      nameIdFormat: format === NAMEID_NATIONAL_ID ? NAMEID_NATIONAL_ID : NAMEID_PERSISTENT,
      forceAuthn: req.forceAuthn,
      wantAssertionsSigned: sp.wantAssertionsSigned,
    };
    if (format !== undefined && !(NAMEID_FORMATS as readonly string[]).includes(format))
      return {
        answer: pending,
        status: { top: 'Requester', second: `${STATUS}InvalidNameIDPolicy`, message: `NameID format ${format} is not supported` },
      };
    // segl keeps no IdP session: every login asks the person, which IsPassive forbids (core §3.4.1)
    if (req.isPassive)
      return {
        answer: pending,
        status: { top: 'Responder', second: `${STATUS}NoPassive`, message: 'segl cannot log in without asking the user' },
      };
    return { login: pending };
  }

  private async verifySignature(enc: EncodedRequest, req: AuthnRequest, sp: SamlSp): Promise<boolean> {
    if (enc.redirectSignature) {
      if (!verifyRedirectSignature(enc.redirectSignature, sp.certificates))
        throw new AuthnRequestError(`the signature of the request does not verify with the signing certificates of ${sp.entityId}`);
      return true;
    }
    if (req.signature) {
      if (!(await verifyEnvelopedSignature(req, sp.certificates)))
        throw new AuthnRequestError(`the ds:Signature of the AuthnRequest does not verify with the signing certificates of ${sp.entityId}`);
      return true;
    }
    return false;
  }

  /** The Response for how the login ended (or for an error status from accept), ready to POST to the ACS. */
  async answer(
    pending: Saml2Pending,
    outcome:
      { identity: Identity } | { error: EidErrorCode } | { status: { top: 'Requester' | 'Responder'; second: string; message: string } },
  ): Promise<AcsPost> {
    let result: Saml2Outcome;
    if ('identity' in outcome) {
      result =
        pending.nameIdFormat === NAMEID_NATIONAL_ID && !outcome.identity.cpr
          ? {
              ok: false,
              status: {
                top: 'Responder',
                second: `${STATUS}InvalidNameIDPolicy`,
                message: 'the national id is not released to this service, so it cannot be the NameID',
              },
            }
          : {
              ok: true,
              identity: outcome.identity,
              nameIdFormat: pending.nameIdFormat,
              persistentId: this.o.persistentId(pending.spEntityId, outcome.identity.pid),
            };
    } else if ('error' in outcome) {
      result = { ok: false, eidError: outcome.error };
    } else {
      result = { ok: false, status: outcome.status };
    }
    const xml = await saml2Response(
      result,
      {
        issuer: this.o.entityId(),
        spEntityId: pending.spEntityId,
        acsUrl: pending.acsUrl,
        inResponseTo: pending.requestId,
        wantAssertionsSigned: pending.wantAssertionsSigned,
        now: this.o.now(),
      },
      await this.o.signer(),
    );
    return {
      acsUrl: pending.acsUrl,
      samlResponse: Buffer.from(xml, 'utf8').toString('base64'),
      ...(pending.relayState !== undefined ? { relayState: pending.relayState } : {}),
    };
  }
}
