// SOAP 1.1 envelopes (W3C Note 2000-05-08): reading requests, writing responses and faults.
import { parseXml, XmlError, type XmlLimits, type XNode } from './xml';
import { escapeXml } from '../util/escape';

export const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';

/** SOAP 1.1 §4.4.1 fault codes. */
export type FaultCode = 'Client' | 'Server' | 'VersionMismatch' | 'MustUnderstand';

export class SoapFault extends Error {
  constructor(
    readonly code: FaultCode,
    readonly faultstring: string,
    readonly httpStatus = 500,
  ) {
    super(faultstring);
    this.name = 'SoapFault';
  }
}

/** Reads an envelope and returns its single body element (document/literal). */
export function readEnvelope(text: string, limits: XmlLimits): XNode {
  let root: XNode;
  try {
    root = parseXml(text, limits);
  } catch (e) {
    if (e instanceof XmlError) throw new SoapFault('Client', `the request is not acceptable XML: ${e.message}`);
    throw e;
  }
  return envelopeOperation(root);
}

/** The single body element of a parsed envelope (readEnvelope's checks, for a tree parsed elsewhere). */
export function envelopeOperation(root: XNode): XNode {
  if (root.local !== 'Envelope' || (root.uri !== SOAP11 && root.uri !== SOAP12)) {
    if (root.local === 'Envelope') {
      throw new SoapFault('VersionMismatch', `Envelope: namespace "${root.uri}" is not SOAP 1.1 (${SOAP11})`);
    }
    throw new SoapFault('Client', `${root.local}: the root element must be a SOAP 1.1 Envelope`);
  }
  if (root.uri === SOAP12) {
    throw new SoapFault('VersionMismatch', `Envelope: SOAP 1.2 is not served here; send a SOAP 1.1 envelope (${SOAP11})`);
  }
  let body: XNode | undefined;
  for (const c of root.children) {
    if (c.uri === SOAP11 && c.local === 'Header') {
      // SOAP 1.1 §4.2.3: segl understands no header entries, so one that must be understood is a fault.
      const must = c.children.find((h) => ['1', 'true'].includes(h.nsAttrs?.[`${SOAP11}|mustUnderstand`] ?? ''));
      if (must) throw new SoapFault('MustUnderstand', `Header/${must.local}: segl does not process this header (mustUnderstand="1")`);
    } else if (c.uri === SOAP11 && c.local === 'Body') {
      if (body) throw new SoapFault('Client', 'Envelope/Body: may occur only once');
      body = c;
    } else {
      throw new SoapFault('Client', `Envelope/${c.local}: only Header and Body may appear in an Envelope`);
    }
  }
  if (!body) throw new SoapFault('Client', 'Envelope/Body: is required');
  if (body.children.length !== 1) {
    throw new SoapFault('Client', `Envelope/Body: must contain exactly one operation element (found ${body.children.length})`);
  }
  return body.children[0]!;
}

const ENV_OPEN = `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${SOAP11}">`;

/** A response envelope; `payload` null gives the empty Body of a void operation. */
export function envelope(payload: string | null): string {
  return payload === null ? `${ENV_OPEN}<soap:Body/></soap:Envelope>` : `${ENV_OPEN}<soap:Body>${payload}</soap:Body></soap:Envelope>`;
}

export function faultEnvelope(f: SoapFault): string {
  return (
    `${ENV_OPEN}<soap:Body><soap:Fault><faultcode>soap:${f.code}</faultcode>` +
    `<faultstring>${escapeXml(f.faultstring)}</faultstring></soap:Fault></soap:Body></soap:Envelope>`
  );
}
