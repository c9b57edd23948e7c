// The console's packaging methods (settings, issue 15): create or replace a method — the cover's language,
// masking, PDF/A, a description and a cover template PDF uploaded from the browser — and remove one, by the
// same rules as `segl packaging set` (store/packagingmethods.ts checks them; a refusal changes nothing).
import busboy from 'busboy';
import express from 'express';
import { PackagingMethodError, MAX_TEMPLATE_BYTES, type PackagingMethodRepository } from '../store/packagingmethods';

type WithTemplate = express.Request & { template?: Uint8Array; tooLarge?: boolean };

/** multipart/form-data into req.body (fields) and req.template (the file, at most MAX_TEMPLATE_BYTES, kept in memory). */
export const templateForm: express.RequestHandler = (req: WithTemplate, _res, next) => {
  let bb: busboy.Busboy;
  try {
    bb = busboy({ headers: req.headers, limits: { files: 1, fields: 20, fieldSize: 4000, fileSize: MAX_TEMPLATE_BYTES + 1 } });
  } catch {
    req.body = {};
    req.resume();
    return next();
  }
  const fields: Record<string, string> = {};
  const chunks: Buffer[] = [];
  bb.on('field', (name, value) => {
    if (!(name in fields)) fields[name] = value;
  });
  bb.on('file', (_name, stream) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('limit', () => (req.tooLarge = true));
  });
  bb.on('close', () => {
    req.body = fields;
    const bytes = Buffer.concat(chunks);
    if (bytes.length) req.template = new Uint8Array(bytes);
    next();
  });
  bb.on('error', next);
  req.pipe(bb);
};

export class Refusal extends Error {}

/** Sets the method from the form; a template not sent keeps the stored one unless `removeTemplate` is ticked. */
export async function setMethod(
  methods: Pick<PackagingMethodRepository, 'set' | 'template'>,
  serviceId: number,
  req: WithTemplate,
): Promise<string> {
  const f = (req.body ?? {}) as Record<string, string>;
  const name = (f.name ?? '').trim();
  if (req.tooLarge) throw new Refusal(`template: larger than ${MAX_TEMPLATE_BYTES} bytes`);
  const template =
    req.template ?? (f.removeTemplate === 'yes' ? undefined : await methods.template(serviceId, name).catch(() => undefined));
  try {
    await methods.set(
      serviceId,
      name,
      {
        language: f.language || undefined,
        maskNationalId: f.mask === 'yes',
        pdfa: f.pdfa === 'yes',
        description: f.description?.trim() || undefined,
        template,
      },
      new Date().toISOString(),
    );
  } catch (e) {
    if (e instanceof PackagingMethodError) throw new Refusal(`${name ? `packaging method "${name}"` : 'name'}: ${e.message}`);
    throw e;
  }
  return `packaging method ${name} saved (${f.language || 'en'}, ${f.mask === 'yes' ? 'masked' : 'unmasked'}, ${f.pdfa === 'yes' ? 'PDF/A' : 'no PDF/A'}, ${template ? `template ${template.byteLength} bytes` : 'built-in cover'})`;
}
