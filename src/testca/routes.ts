// The public trust endpoints (fixed paths): certificates, CRLs, OCSP (GET and POST) and the TSA.
import { Router, raw, type NextFunction, type Request, type Response } from 'express';
import { ocspGetPath } from '../trust/ocsp/responder';
import type { TestCa } from './testca';

/** OCSP and time-stamp requests are a few hundred bytes; 64 KB is generous. */
export const PKI_BODY_LIMIT = 64 * 1024;

const refuse = (res: Response, status: number, message: string) =>
  res.status(status).type('text/plain; charset=utf-8').send(`${message}\n`);

/**
 * Whether `b` is one DER SEQUENCE spanning the whole body (X.690 §8.1: tag 0x30, then a definite
 * length). Anything else cannot be an OCSPRequest or TimeStampReq: 400 with a message. A SEQUENCE
 * that is not a valid request still gets the protocol's own answer (malformedRequest, badDataFormat).
 */
export function isDerSequence(b: Uint8Array): boolean {
  if (b.length < 2 || b[0] !== 0x30) return false;
  const first = b[1]!;
  if (first < 0x80) return 2 + first === b.length;
  const n = first & 0x7f;
  if (n === 0 || n > 4 || b.length < 2 + n) return false;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + b[2 + i]!;
  return 2 + n + len === b.length;
}

const pem = (res: Response, text: string) => res.type('application/x-pem-file').send(text.endsWith('\n') ? text : `${text}\n`);

/** The request bodies' parser: any media type (checked before), raw bytes, bounded. */
const parse = raw({ type: () => true, limit: PKI_BODY_LIMIT });

/**
 * The raw body of an OCSP or time-stamp request, which must be one DER SEQUENCE. The body parser's
 * own errors (too large, a broken gzip, an unknown Content-Encoding) are the client's: 413 or 400
 * with a message, never the 500 of the application's error handler.
 */
const body = (kind: string) => (req: Request, res: Response, next: NextFunction) =>
  parse(req, res, (err?: unknown) => {
    if (!err) {
      const b = req.body instanceof Buffer ? req.body : Buffer.alloc(0);
      if (!isDerSequence(b)) {
        refuse(res, 400, `the body is not a DER-encoded ${kind} (one ASN.1 SEQUENCE)`);
        return;
      }
      next();
      return;
    }
    const e = err as { status?: number; type?: string; message?: string };
    if (e.type === 'entity.too.large') refuse(res, 413, `the ${kind} is larger than ${PKI_BODY_LIMIT} bytes`);
    else if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
      refuse(res, e.status, `the ${kind} could not be read: ${e.message ?? 'bad request'}`);
    else next(err);
  });

/** Sends a DER answer of the protocol's media type. */
const answer = async (res: Response, der: Uint8Array, type: string) => {
  res.type(type).send(Buffer.from(der));
};

/** Only the protocol's own request media type goes on to the body parser; anything else is 415 (the body is drained). */
const requireType = (type: string) => (req: Request, res: Response, next: NextFunction) => {
  if (req.headers['content-type'] === type) {
    next();
    return;
  }
  req.resume();
  refuse(res, 415, `Content-Type must be ${type}`);
};
const ocspType = requireType('application/ocsp-request');
const tsaType = requireType('application/timestamp-query');

/** The certificates and CRLs of the test PKI, as PEM and DER files at fixed paths. */
function certificateRoutes(r: Router, ca: TestCa): void {
  r.get('/pki/root.pem', (_req, res) => pem(res, ca.pem('root')));
  r.get('/pki/ca.pem', (_req, res) => pem(res, ca.pem('personCa')));
  r.get('/pki/seal.pem', (_req, res) => pem(res, ca.pem('seal')));
  r.get('/pki/ocsp.pem', (_req, res) => pem(res, ca.pem('ocsp')));
  r.get('/pki/tsa.pem', (_req, res) => pem(res, ca.pem('tsa')));
  r.get('/pki/crl', async (_req, res) => {
    res.type('application/pkix-crl').send(Buffer.from(await ca.crl()));
  });
  r.get('/pki/root.crl', async (_req, res) => {
    res.type('application/pkix-crl').send(Buffer.from(await ca.rootCrl()));
  });
  // The service CA (seal and TSA) beside the person CA: its certificate, its OCSP responder's, its CRL.
  r.get('/pki/service-ca.pem', (_req, res) => pem(res, ca.pem('serviceCa')));
  r.get('/pki/service-ocsp.pem', (_req, res) => pem(res, ca.pem('serviceOcsp')));
  r.get('/pki/service.crl', async (_req, res) => {
    res.type('application/pkix-crl').send(Buffer.from(await ca.serviceCrl()));
  });
}

/** The /pki router: the files above, then the OCSP responder and the TSA. */
export function pkiRoutes(ca: TestCa): Router {
  const r = Router();
  certificateRoutes(r, ca);
  // RFC 6960 Appendix A.1: POST with the DER request, or GET with it base64- and URL-encoded in the path.
  r.post('/pki/ocsp', ocspType, body('OCSPRequest'), async (req: Request, res) => {
    await answer(res, await ca.ocsp(new Uint8Array(req.body as Buffer)), 'application/ocsp-response');
  });
  r.get(/^\/pki\/ocsp\/(.+)$/, async (req: Request, res) => {
    let der: Uint8Array;
    try {
      der = ocspGetPath(decodeURIComponent(req.path.slice('/pki/ocsp/'.length)));
    } catch {
      der = new Uint8Array();
    }
    if (!isDerSequence(der)) {
      refuse(res, 400, 'the path is not a base64-encoded DER OCSPRequest (RFC 6960 A.1)');
      return;
    }
    res.set('Cache-Control', 'max-age=60');
    await answer(res, await ca.ocsp(der), 'application/ocsp-response');
  });
  // RFC 3161 §3.4: POST application/timestamp-query → application/timestamp-reply.
  r.post('/pki/tsa', tsaType, body('TimeStampReq'), async (req: Request, res) => {
    await answer(res, await ca.timestamp(new Uint8Array(req.body as Buffer)), 'application/timestamp-reply');
  });
  // What the router itself refuses (a path parameter that is not valid percent-encoding …) is the
  // client's mistake: its 4xx with a message, not the application's 500.
  r.use('/pki', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const e = err as { status?: number; message?: string };
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && !res.headersSent)
      refuse(res, e.status, `the request could not be read: ${e.message ?? 'bad request'}`);
    else next(err);
  });
  return r;
}
