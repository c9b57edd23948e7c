// An authentication-based signature's evidence as `segl verify` rechecks it (docs/oidc-eid.md): the
// LTV-SDO's AuthenticationEvidence read, and what the native signature says was signed (its sign
// text, and each document's SHA-256 computed from the bytes it carries), handed to
// trust/oidc/verify.ts. Reading here; the checks are trust's.
import { createHash } from 'node:crypto';
import { LTVSDO_NS } from '../trust/ltvsdo';
import { verifyIdTokenEvidence, type EvidenceResult } from '../trust/oidc/verify';
import { child, childElements } from '../trust/validation/xmldsig';
import type { SElement } from '../trust/xml/strictxml';
import { SIGNPROPERTIES_NS } from '../trust/xades/signature';

const DS = 'http://www.w3.org/2000/09/xmldsig#';
const ATTACHED = ['attachedpdf', 'attachedtext', 'attacheddata'];

// the strict parse's elements, read with the XMLDSig validator's child helpers (namespace first)
const kids = (n: SElement, local: string, ns: string): SElement[] => childElements(n, ns, local) as SElement[];
const kid = (n: SElement | undefined, local: string, ns: string): SElement | undefined => child(n, ns, local) as SElement | undefined;

/** The sign text and documents of the native signature's SignProperties (undefined when it has none). */
function signedAct(root: SElement): { signText: string; documents: Array<{ id: string; sha256: string }> } | undefined {
  const native = kid(kid(root, 'SignedDataObject', LTVSDO_NS), 'Signature', DS);
  const sp =
    native &&
    kids(native, 'Object', DS)
      .map((o) => kid(o, 'SignProperties', SIGNPROPERTIES_NS))
      .find((x) => x);
  const list = kid(sp, 'Documents', SIGNPROPERTIES_NS);
  if (!sp || !list) return undefined;
  const documents = kids(list, 'Document', SIGNPROPERTIES_NS).map((d) => {
    const content = ATTACHED.map((local) => kid(d, local, SIGNPROPERTIES_NS)).find((c) => c);
    const text = content?.textContent ?? '';
    const bytes = content?.getAttribute('Encoding') === 'base64' ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
    return { id: d.getAttribute('DocumentId') ?? '', sha256: createHash('sha256').update(bytes).digest('base64') };
  });
  return { signText: kid(sp, 'SignText', SIGNPROPERTIES_NS)?.textContent ?? '', documents };
}

/**
 * The package's AuthenticationEvidence rechecked at its trusted signing time; undefined when the package
 * has none (a signature with the signer's own key). A malformed evidence element fails, naming what is missing.
 */
export async function checkAuthenticationEvidence(root: SElement, signingTime: Date): Promise<EvidenceResult | undefined> {
  const e = kid(root, 'AuthenticationEvidence', LTVSDO_NS);
  if (!e) return undefined;
  const fail = (detail: string): EvidenceResult => ({ ok: false, checks: [{ name: 'oidc-evidence', ok: false, detail }] });
  if (e.getAttribute('Protocol') !== 'openid-connect')
    return fail(`evidence of protocol ${e.getAttribute('Protocol') ?? '(none)'} is not known`);
  const text = (local: string) => kid(e, local, LTVSDO_NS)?.textContent.trim();
  const inputs = kid(e, 'NonceInputs', LTVSDO_NS);
  const fields = {
    issuer: text('Issuer'),
    clientId: text('ClientId'),
    idToken: text('IdToken'),
    jwks: text('Jwks'),
    discovery: text('DiscoveryDocument'),
  };
  const missing = Object.entries(fields)
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length || !inputs) return fail(`AuthenticationEvidence lacks ${[...missing, ...(inputs ? [] : ['NonceInputs'])].join(', ')}`);
  const act = signedAct(root);
  if (!act) return fail('the native signature has no SignProperties to compare the evidence with');
  return verifyIdTokenEvidence(
    {
      ...(fields as Record<keyof typeof fields, string>),
      nonceInputs: {
        taskId: inputs.getAttribute('TaskId') ?? '',
        signText: kid(inputs, 'SignText', LTVSDO_NS)?.textContent ?? '',
        documents: kids(inputs, 'Document', LTVSDO_NS).map((d) => ({
          id: d.getAttribute('Id') ?? '',
          sha256: d.getAttribute('Sha256') ?? '',
        })),
      },
    },
    signingTime,
    act,
  );
}
