// The viewer's report as XML, with the element names and indication URIs of ETSI TS 119 102-2 V1.2.1
// (the validation report of EN 319 102-1): one SignatureValidationReport per signature — each LTV-SDO's
// seal and native signature, a PAdES's signatures and document time-stamps — with the validation time,
// the signer, the process (Basic, LTA as checked) and the status (MainIndication, SubIndication).
// Not implemented: the constraint evaluation details, POE and the validation objects of §4.4 (the
// certificates and revocation data are in the signed file itself); and the report is not checked
// against the TS's XSD, which is not available here — a reader should take it as that shape, not as a
// conformance claim.
import { el, render, type XChild, type XEl } from '../../trust/xml/c14n';
import type { Indication } from '../../trust/validation/report';
import type { ViewerReport } from './report';

export const ETSI_VR_NS = 'http://uri.etsi.org/19102/v1.2.1#';

const MAIN: Record<Indication, string> = {
  'TOTAL-PASSED': 'urn:etsi:019102:mainindication:total-passed',
  'TOTAL-FAILED': 'urn:etsi:019102:mainindication:total-failed',
  INDETERMINATE: 'urn:etsi:019102:mainindication:indeterminate',
};
const e = (name: string, ...children: XChild[]): XEl => el(name, ETSI_VR_NS, null, ...children);
const ea = (name: string, attrs: Record<string, string | undefined>, ...children: XChild[]): XEl =>
  el(name, ETSI_VR_NS, attrs, ...children);

interface Item {
  id: string;
  what: string;
  signer?: string;
  time?: string;
  indication: Indication;
  subIndication?: string;
  message: string;
  process: 'Basic' | 'LTA';
}

function signatureReport(i: Item, validatedAt: string): XEl {
  return e(
    'SignatureValidationReport',
    ea('SignatureIdentifier', { id: i.id }, e('DAIdentifier', i.what)),
    e(
      'ValidationTimeInfo',
      e('ValidationTime', validatedAt),
      ...(i.time ? [e('BestSignatureTime', e('POETime', i.time), e('TypeOfProof', 'validation'))] : []),
    ),
    ...(i.signer ? [e('SignerInformation', e('Signer', i.signer))] : []),
    e('SignatureValidationProcess', e('SignatureValidationProcessID', `urn:etsi:019102:validationprocess:${i.process}`)),
    e(
      'SignatureValidationStatus',
      e('MainIndication', MAIN[i.indication]),
      ...(i.subIndication ? [e('SubIndication', `urn:etsi:019102:subindication:${i.subIndication}`)] : []),
      ...(i.message
        ? [
            e(
              'AssociatedValidationReportData',
              e('AdditionalValidationReportData', e('ReportData', e('Type', 'urn:segl:viewer:reason'), e('Value', i.message))),
            ),
          ]
        : []),
    ),
  );
}

/** The XML text (with its declaration). */
export function etsiValidationReport(r: ViewerReport): string {
  const items: Item[] = [];
  for (const p of r.pades?.items ?? [])
    items.push({
      id: `pdf-${p.field}`,
      what: `${p.kind} ${p.field} (${p.subFilter})`,
      signer: p.signer,
      time: p.time,
      indication: p.indication,
      subIndication: p.subIndication,
      message: p.message,
      process: p.level === 'B-LTA' ? 'LTA' : 'Basic',
    });
  r.sdos.forEach((s, n) =>
    items.push({
      id: `ltv-sdo-${n + 1}`,
      what: `LTV-SDO${s.name ? ` ${s.name}` : ''}: the seal and the native signature`,
      signer: s.signer?.name,
      time: s.signedAt,
      indication: s.indication,
      subIndication: s.subIndication,
      message: s.message,
      process: 'Basic',
    }),
  );
  const root = e(
    'ValidationReport',
    ...items.map((i) => signatureReport(i, r.verifiedAt)),
    e('SignatureValidator', e('DigitalId', e('X509SubjectName', 'segl viewer'))),
  );
  return `<?xml version="1.0" encoding="UTF-8"?>${render(root)}`;
}
