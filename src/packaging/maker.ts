// core's PackageMaker: one PAdES from one or more LTV-SDOs. Each SDO is read and verified offline
// (src/signing/offline.ts: its seal and native signature, with the values it carries) and the package
// is refused if any of them does not verify; then the PDF is composed (src/packaging/compose.ts) and
// sealed once by the platform as PAdES B-LTA (src/trust/pades): signature with a signature
// time-stamp, a DSS with the seal's and the TSA's validation data, a document time-stamp.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type * as x509 from '@peculiar/x509';
import type { PackageMaker, PackageOutcome, PackageSource } from '../core/packagemaker';
import { BUILT_IN_METHOD, PADES_METHOD, type ResolvedPackagingMethod } from '../core/packagingmethod';
import { verifyLtvSdo } from '../signing/offline';
import type { TrustSetup } from '../signing/trust';
import { createPades } from '../trust/pades/pades';
import { composePackage, deflateSoon } from './compose';
import { EVENT_HASH_VERSION } from '../util/hashchain';
import { formatTime } from './format';
import { LtvSdoFormatError, parseLtvSdo, readLtvSdo, signerOf, type DecodedDocuments, type LtvSdoSummary, type ParsedLtvSdo } from './sdo';
import {
  PackageInputError,
  TemplateError,
  UnreadableOriginalError,
  type ComposedPackage,
  type PackageContent,
  type PackageDocument,
} from './types';

/** What a packaging method decides (src/store/packagingmethods.ts resolves a service's named methods). */
type MethodSettings = Omit<ResolvedPackagingMethod, 'name'>;

export interface PadesMakerOptions {
  trust: TrustSetup;
  /** where the cover's verification link points */
  verificationUrl: string;
  /** a service's packaging method by name; undefined = unknown (default: only `pades`) */
  methods?: (serviceId: number, name: string) => Promise<MethodSettings | undefined>;
  /** the time the SDOs are verified at (default now): segl's clock, which the preprod test clock moves */
  now?: () => Date;
}

const refuse = (code: string, message: string): PackageOutcome => ({ ok: false, code, message });
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
/** `3-order-REQ-task1-doc1-sdo.ltvsdo.xml` for the third SDO, named by its URL on this instance (or any ref). */
const attachmentName = (i: number, ref: string) =>
  `${i + 1}-${ref
    .replace(/^.*?\/doc\/[^/]+\//, '')
    .replace(/[^\w.-]+/g, '-')
    .slice(0, 80)}.ltvsdo.xml`;

let fontBytes: Uint8Array | undefined;
const sealFont = () => (fontBytes ??= new Uint8Array(readFileSync(require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'))));

interface ReadSdo {
  source: PackageSource;
  summary: LtvSdoSummary;
  /** SHA-256 (hex) of the SDO's bytes */
  sha256: string;
}

export class PadesMaker implements PackageMaker {
  constructor(private readonly o: PadesMakerOptions) {}

  private async method(serviceId: number, name: string): Promise<MethodSettings | undefined> {
    if (this.o.methods) return this.o.methods(serviceId, name);
    return name === BUILT_IN_METHOD ? PADES_METHOD : undefined;
  }

  /** Reads and verifies every SDO; the first that is not one, or does not verify, refuses the package. */
  private async readAll(sources: PackageSource[]): Promise<ReadSdo[] | PackageOutcome> {
    const out: ReadSdo[] = [];
    const seen = new Set<string>();
    const decoded: DecodedDocuments = new Map();
    for (const source of sources) {
      // The same SDO named twice (two packaging-task-documents of one bundled task) is packaged once.
      const digest = sha256(source.sdo);
      if (seen.has(digest) && !source.original) continue;
      seen.add(digest);
      void deflateSoon(source.sdo); // it will be an attachment: compressed on the thread pool while it is verified
      let summary: LtvSdoSummary;
      let parsed: ParsedLtvSdo;
      try {
        parsed = parseLtvSdo(source.sdo);
        summary = readLtvSdo(parsed, decoded);
      } catch (e) {
        if (e instanceof LtvSdoFormatError) return refuse('not-an-sdo', `${source.ref}: ${e.message}`);
        throw e;
      }
      const result = await verifyLtvSdo(parsed.xml, this.o.trust.anchors, parsed.document, {
        intermediates: this.o.trust.intermediates,
        ...(this.o.now ? { now: this.o.now() } : {}),
      });
      if (result.indication !== 'TOTAL-PASSED') {
        const worst = [result.seal, result.native, result.timeStamps].find((r) => r && r.indication !== 'TOTAL-PASSED');
        const why = worst
          ? `${worst.indication}${worst.subIndication ? ` ${worst.subIndication}` : ''}: ${worst.message}`
          : 'no native signature';
        return refuse('sdo-invalid', `${source.ref}: the LTV-SDO does not verify (${why})`);
      }
      if (source.original && !summary.documents.some((d) => d.sha256 === sha256(source.original!.bytes)))
        return refuse('original-mismatch', `${source.ref}: the supplementary original is none of the documents this SDO signed`);
      out.push({ source, summary, sha256: digest });
    }
    return out;
  }

  private content(
    input: Parameters<PackageMaker['make']>[0],
    sdos: ReadSdo[],
    m: MethodSettings,
    seal: x509.X509Certificate,
  ): PackageContent {
    const documents = new Map<string, PackageDocument>();
    for (const { summary } of sdos)
      for (const d of summary.documents) {
        const key = `${d.id}\u0000${d.sha256}`;
        if (!documents.has(key))
          documents.set(key, { id: d.id, description: d.description, mimeType: d.mimeType, bytes: d.bytes, sha256: d.sha256 });
      }
    // Two different documents under one id (two orders) keep both, the later one renamed.
    const docs = [...documents.values()].map((d, i, all) =>
      all.findIndex((x) => x.id === d.id) === i ? d : { ...d, id: `${d.id} (${i + 1})` },
    );
    const idOf = (id: string, hash: string) => docs.find((d) => d.sha256 === hash && (d.id === id || d.id.startsWith(`${id} (`)))!.id;
    return {
      packageId: input.packageId,
      serviceName: input.serviceName,
      createdAt: input.now,
      language: m.language,
      verificationUrl: this.o.verificationUrl,
      documents: docs,
      signers: sdos.map(({ summary: s }) =>
        signerOf(
          s,
          s.documents.map((d) => idOf(d.id, d.sha256)),
        ),
      ),
      seal: { subject: seal.subject, issuer: seal.issuer },
      attachments: sdos.map(({ source }, i) => ({
        name: attachmentName(i, source.ref),
        mimeType: 'application/x-ltv-sdo',
        bytes: source.sdo,
        description: `LTV-SDO ${source.ref}`,
        afRelationship: 'Source' as const,
      })),
      manifest: manifest(input, sdos, docs),
      options: { pdfa: m.pdfa, maskNationalId: m.maskNationalId, template: m.template },
    };
  }

  /**
   * The SDOs read and verified, the unsigned PDF composed. A method of its own so that what only this needs (each
   * SDO's parse, the decoded documents, pdf-lib's model of the package) is garbage before the seal is made.
   */
  private async compose(
    input: Parameters<PackageMaker['make']>[0],
    m: MethodSettings,
    seal: x509.X509Certificate,
  ): Promise<ComposedPackage | PackageOutcome> {
    const sdos = await this.readAll(input.sources);
    if (!Array.isArray(sdos)) return sdos;
    try {
      return await composePackage(this.content(input, sdos, m, seal));
    } catch (e) {
      if (e instanceof UnreadableOriginalError) return refuse('unreadable-original', e.message);
      if (e instanceof TemplateError) return refuse('template-error', e.message);
      if (e instanceof PackageInputError) return refuse('invalid-request', e.message);
      throw e;
    }
  }

  async make(input: Parameters<PackageMaker['make']>[0]): Promise<PackageOutcome> {
    if (input.sources.length === 0) return refuse('invalid-request', 'a package needs at least one SDO');
    const m = await this.method(input.serviceId, input.method);
    if (!m) return refuse('unknown-packaging-method', `packaging-method "${input.method}" is not defined for service ${input.serviceName}`);
    const t = this.o.trust;
    const { signer, chain, own } = await t.sealFor(input.serviceId);
    const composed = await this.compose(input, m, signer.certificate);
    if ('ok' in composed) return composed;
    const sealName = signer.certificate.subjectName.getField('CN')[0] ?? signer.certificate.subject;
    const pdf = await createPades(composed.pdf, {
      appendInPlace: true, // composePackage leaves room after the file for the seal's updates
      level: 'B-LTA',
      signer,
      chain,
      certificatePool: [...t.intermediates, ...t.anchors],
      timestamps: t.timestamp,
      revocation: t.revocation,
      time: input.now,
      fieldName: 'segl-seal',
      name: sealName,
      appearance: {
        ...composed.sealAppearance,
        font: sealFont(),
        lines: [`Sealed by ${own ? `${sealName} via segl` : sealName}`, formatTime(input.now), 'PAdES baseline B-LTA'],
      },
    });
    return { ok: true, pdf };
  }
}

/** package.json: what the package holds, for machines. */
function manifest(input: Parameters<PackageMaker['make']>[0], sdos: ReadSdo[], docs: PackageDocument[]): unknown {
  return {
    format: 'segl-package/1',
    packageId: input.packageId,
    service: input.serviceName,
    method: input.method,
    createdAt: input.now.toISOString(),
    ...(input.historyHead ? { history: { ...input.historyHead, algorithm: EVENT_HASH_VERSION } } : {}),
    documents: docs.map((d) => ({ id: d.id, description: d.description, mimeType: d.mimeType, sha256: d.sha256 })),
    signatures: sdos.map(({ source, summary, sha256: sdoSha }, i) => ({
      ref: source.ref,
      attachment: attachmentName(i, source.ref),
      sha256: sdoSha,
      signer: summary.signer.name,
      signedAt: summary.trustedSigningTime.toISOString(),
      indication: summary.initialVerification.indication,
      documents: summary.documents.map((d) => ({ id: d.id, sha256: d.sha256 })),
    })),
  };
}
