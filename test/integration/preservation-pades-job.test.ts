// The preservation job (queue/jobs/preserve.ts) with the runtime's PAdES renewer (ops/preservation.ts padesRenewer:
// trust/pades/renewaldue.ts + renew.ts, the result validated before it is stored), on SQLite and PostgreSQL: a
// PAdES B-LTA sealed 5.5 years ago, archived as segl archives packages (application/x-pades), is renewed once at
// T0 + 4 years — before its TSA certificate (5 years) ended — with a second TSA; validated now, the archived
// version is TOTAL-PASSED where the file as sealed is INDETERMINATE. An unsigned PDF in the archive is not renewed:
// its row keeps its bytes and says why.
import '../../src/trust/crypto';
import { PDFDocument, StandardFonts } from '@cantoo/pdf-lib';
import { padesRenewer } from '../../src/ops/preservation';
import { preserveDue, type PreservationDeps } from '../../src/queue/jobs/preserve';
import { PRESERVATION_DEFAULT_MARGIN_MS } from '../../src/signing/preserve';
import { PreservationRepository } from '../../src/store/preservation';
import { createServiceBranch, createTestPki, type ServiceBranch, type TestPki } from '../../src/testca/pki';
import { createPades } from '../../src/trust/pades/pades';
import { validatePades } from '../../src/trust/validation/pades';
import { TEST_URLS } from '../support/person';
import { trustAt } from '../support/preserve';
import { archiveFixture, type ArchiveFixture } from '../support/archivedb';
import { databases } from '../support/server';

const YEAR = 365.25 * 86_400_000;
const NOW = new Date();
const T0 = new Date(Math.floor((NOW.getTime() - 5.5 * YEAR) / 1000) * 1000);
const T1 = new Date(T0.getTime() + 4 * YEAR);
let pki: TestPki;
let second: ServiceBranch;
let lta: Uint8Array;
let plain: Uint8Array;

beforeAll(async () => {
  pki = await createTestPki({ urls: TEST_URLS, now: T0 });
  second = await createServiceBranch(pki.root, { name: 'segl renewal', urls: TEST_URLS, now: T1 });
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([595, 842]).drawText('Lease agreement, kept for ten years', { x: 50, y: 760, size: 14, font });
  plain = await doc.save({ useObjectStreams: false });
  const at0 = trustAt(pki, pki, T0);
  lta = await createPades(plain, {
    level: 'B-LTA',
    signer: pki.seal,
    chain: [pki.serviceCa.certificate, pki.root.certificate],
    certificatePool: [pki.serviceCa.certificate, pki.root.certificate],
    time: T0,
    timestamps: at0.timestamp,
    revocation: at0.revocation,
  });
}, 120_000);

describe.each(databases())('preservation of archived PAdES on %s', (kind) => {
  let a: ArchiveFixture;
  let now = T1;
  const log = { warn: jest.fn() };

  beforeAll(async () => {
    a = await archiveFixture(kind);
  }, 60_000);

  afterAll(async () => {
    await a?.close();
  });

  test('a B-LTA is renewed once before its TSA certificate ends and stays provable after; an unsigned PDF is left as it is', async () => {
    await a.archive('pades-1', lta, 'application/x-pades', T0);
    await a.archive('plain-1', plain, 'application/pdf', T0);
    const plainSha = (await a.row('plain-1')).sha256;
    const trust = async () => trustAt(pki, second, now);
    const clock = { now: () => now };
    const deps: PreservationDeps = {
      repo: new PreservationRepository(a.db, a.blobs),
      clock,
      marginMs: PRESERVATION_DEFAULT_MARGIN_MS,
      trust,
      pades: padesRenewer(trust, clock),
      log,
    };
    now = T1;
    expect(await preserveDue(deps)).toEqual({ renewed: 1, scheduled: 0, failed: 1 });
    expect(await preserveDue(deps)).toEqual({ renewed: 0, scheduled: 0, failed: 0 });

    const r = await a.row('pades-1');
    expect(Number(r.preservation_count)).toBe(1);
    expect(r.preserved_at).toBe(T1.toISOString());
    // next due: the second TSA's certificate (5 years from T1) less the margin
    expect(r.preservation_due).toBe(new Date(second.tsa.certificate.notAfter.getTime() - PRESERVATION_DEFAULT_MARGIN_MS).toISOString());
    const bytes = await a.blobs.getBytes(r.blob_key as string);
    expect(Buffer.from(bytes.subarray(0, lta.length)).equals(Buffer.from(lta))).toBe(true);

    const anchors = [pki.root.certificate];
    const asSealed = await validatePades(lta, { anchors, at: NOW });
    expect([asSealed.indication, asSealed.documentTimestamps[0]!.subIndication]).toEqual(['INDETERMINATE', 'OUT_OF_BOUNDS_NO_POE']);
    const kept = await validatePades(bytes, { anchors, at: NOW });
    expect([kept.indication, kept.documentTimestamps.length]).toEqual(['TOTAL-PASSED', 2]);

    const p = await a.row('plain-1');
    expect([Number(p.preservation_count), p.sha256, p.preservation_note]).toEqual([
      0,
      plainSha,
      expect.stringMatching(/signature|time-stamp/i),
    ]);
    expect(Buffer.from(await a.blobs.getBytes(p.blob_key as string)).equals(Buffer.from(plain))).toBe(true);
  }, 120_000);
});
