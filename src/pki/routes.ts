// The public trust endpoints (fixed paths): certificates, CRLs, OCSP (GET and POST) and the TSA.
import { Router, raw, type Request, type Response } from 'express';
import { ocspGetPath } from '../trust/ocsp';
import type { TestCa } from './testca';

const pem = (res: Response, text: string) => res.type('application/x-pem-file').send(text.endsWith('\n') ? text : `${text}\n`);

export function pkiRoutes(ca: TestCa): Router {
  const r = Router();
  r.get('/pki/root.pem', (_req, res) => pem(res, ca.pem('root')));
  r.get('/pki/ca.pem', (_req, res) => pem(res, ca.pem('personCa')));
  r.get('/pki/seal.pem', (_req, res) => pem(res, ca.pem('seal')));
  r.get('/pki/ocsp.pem', (_req, res) => pem(res, ca.pem('ocsp')));
  r.get('/pki/tsa.pem', (_req, res) => pem(res, ca.pem('tsa')));
  r.get('/pki/crl', async (_req, res) => { res.type('application/pkix-crl').send(Buffer.from(await ca.crl())); });
  r.get('/pki/root.crl', async (_req, res) => { res.type('application/pkix-crl').send(Buffer.from(await ca.rootCrl())); });
  // The service CA (seal and TSA) beside the person CA: its certificate, its OCSP responder's, its CRL.
  r.get('/pki/service-ca.pem', (_req, res) => pem(res, ca.pem('serviceCa')));
  r.get('/pki/service-ocsp.pem', (_req, res) => pem(res, ca.pem('serviceOcsp')));
  r.get('/pki/service.crl', async (_req, res) => { res.type('application/pkix-crl').send(Buffer.from(await ca.serviceCrl())); });

  const body = raw({ type: () => true, limit: '64kb' });
  const answer = async (res: Response, der: Uint8Array, type: string) => { res.type(type).send(Buffer.from(der)); };
  // RFC 6960 Appendix A.1: POST with the DER request, or GET with it base64- and URL-encoded in the path.
  r.post('/pki/ocsp', body, async (req: Request, res) => {
    if (req.headers['content-type'] !== 'application/ocsp-request') {
      res.status(415).type('text/plain').send('Content-Type must be application/ocsp-request\n');
      return;
    }
    await answer(res, await ca.ocsp(new Uint8Array(req.body as Buffer)), 'application/ocsp-response');
  });
  r.get(/^\/pki\/ocsp\/(.+)$/, async (req: Request, res) => {
    const encoded = decodeURIComponent(req.path.slice('/pki/ocsp/'.length));
    let der: Uint8Array;
    try {
      der = ocspGetPath(encoded);
    } catch {
      der = new Uint8Array(); // answered as malformedRequest
    }
    res.set('Cache-Control', 'max-age=60');
    await answer(res, await ca.ocsp(der), 'application/ocsp-response');
  });
  // RFC 3161 §3.4: POST application/timestamp-query → application/timestamp-reply.
  r.post('/pki/tsa', body, async (req: Request, res) => {
    if (req.headers['content-type'] !== 'application/timestamp-query') {
      res.status(415).type('text/plain').send('Content-Type must be application/timestamp-query\n');
      return;
    }
    await answer(res, await ca.timestamp(new Uint8Array(req.body as Buffer)), 'application/timestamp-reply');
  });
  return r;
}
