// One SOAP 1.1 endpoint on Express: serves its WSDL at ?wsdl, reads bounded (optionally gzipped)
// bodies, authenticates the service/password elements, dispatches, and turns every error into a
// fault. Shared by DocumentService and later services.
//
// Authentication comes before the real parse: an anonymous caller costs a bounded look at the start
// of the body (PRELOGIN_CHARS, PRELOGIN_LIMITS), never a parse of megabytes, and every call that does
// not authenticate counts against its source in the login throttle. The full parse, for callers
// who logged in, yields to the event loop between slices.
import { readFileSync } from 'node:fs';
import { createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { AuthError, NotFoundError, StateError, ValidationError } from '../core/errors';
import { newErrorReference } from '../core/ids';
import type { ServiceAccount } from '../core/ports';
import { Codec, DecodeError } from './codec';
import { envelope, envelopeOperation, faultEnvelope, readEnvelope, SoapFault } from './envelope';
import { loadSchema, type Schema } from './schema';
import { DEFAULT_XML_LIMITS, parseXmlAsync, scanXml, XmlError, type XmlLimits } from './xml';
import { pause, type LoginThrottle } from '../core/ratelimit';
import { parseBasicAuth } from '../util/basicauth';

export interface SoapOperation<Ctx> {
  name: string;
  response: string | null;
  run: (
    ctx: Ctx,
    svc: ServiceAccount,
    input: Record<string, unknown> & { service: string; password: string },
  ) => Promise<Record<string, unknown> | null>;
  /**
   * For a service whose response carries its own error (PackagingService's `error`): the response
   * to a request that breaks the schema, instead of a Client fault. Called after login only.
   */
  invalid?: (problem: string) => Record<string, unknown>;
}

export interface SoapEndpointOptions<Ctx> {
  /** mount path, e.g. /ws/documentservice-v3 */
  path: string;
  wsdlFile: string;
  publicUrl: string;
  operations: Record<string, SoapOperation<Ctx>>;
  context: Ctx;
  authenticate: (service: string, password: string) => Promise<ServiceAccount | null>;
  bodyLimit: number;
  limiter: LoginThrottle;
  log: Logger;
}

class TooLarge extends Error {}

/** The login throttle's refusal: a Client fault with Retry-After. */
class Throttled extends SoapFault {
  constructor(
    readonly retryAfterS: number,
    source: string,
  ) {
    super('Client', `service, password: too many failed attempts from ${source}; try again in ${retryAfterS} s`);
  }
}

/** Before login only this much of the body is looked at: the credentials must come within it. */
const PRELOGIN_CHARS = 64 * 1024;
/** ... and within this many elements (a WS-Security header and the operation's start fit easily). */
const PRELOGIN_LIMITS: XmlLimits = { ...DEFAULT_XML_LIMITS, maxElements: 1000 };

interface Credentials {
  service: string;
  password: string;
}

const notXml = (e: XmlError) => new SoapFault('Client', `the request is not acceptable XML: ${e.message}`);

/**
 * Envelope/Body/<operation>/service and …/password, from the start of the body only. Undefined when
 * they are not there (the caller then parses a small body under the pre-login limits for a precise
 * fault, and refuses a large one). XML errors in the part read are faults at once.
 */
function findCredentials(text: string): Credentials | undefined {
  let service: string | undefined;
  let password: string | undefined;
  try {
    scanXml(text, PRELOGIN_CHARS, PRELOGIN_LIMITS, (node, path) => {
      if (path.length === 3 && path[0]!.local === 'Envelope' && path[1]!.local === 'Body') {
        if (node.local === 'service') service ??= node.text;
        else if (node.local === 'password') password ??= node.text;
      }
      return service !== undefined && password !== undefined;
    });
  } catch (e) {
    if (!(e instanceof XmlError)) throw e;
    if (e.message === `more than ${PRELOGIN_LIMITS.maxElements} elements`) {
      throw new SoapFault(
        'Client',
        `service, password: not found within the first ${PRELOGIN_LIMITS.maxElements} elements; send them first in the operation element, as the WSDL orders them`,
      );
    }
    throw notXml(e);
  }
  return service !== undefined && password !== undefined ? { service, password } : undefined;
}

/** An HTTP Basic header, if the caller sent one (tolerated beside the body credentials, and checked first). */
function basicCredentials(req: Request): Credentials | undefined {
  const c = parseBasicAuth(req.headers.authorization);
  return c && { service: c.user, password: c.password };
}

/**
 * Reads the whole body up to `limit` bytes after decompression. Past the limit it stops inflating
 * at once (a gzip bomb costs nothing more) and drains the raw body, up to 4 × limit, so the client
 * can read the fault; beyond that the connection is cut.
 */
function readBody(req: Request, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const enc = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
    let src: Readable = req;
    if (enc === 'gzip' || enc === 'x-gzip') src = req.pipe(createGunzip());
    else if (enc === 'deflate') src = req.pipe(createInflate());
    else if (enc !== 'identity') {
      reject(new SoapFault('Client', `Content-Encoding "${enc}" is not supported (use identity, gzip or deflate)`, 415));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let raw = 0;
    let over = false;
    const tooLarge = () => {
      if (over) return;
      over = true;
      chunks.length = 0;
      if (src !== req) {
        req.unpipe(src as unknown as NodeJS.WritableStream);
        src.destroy();
      }
      req.on('end', () => reject(new TooLarge()));
      req.resume();
    };
    req.on('data', (c: Buffer) => {
      raw += c.length;
      if (raw > limit * 4) {
        req.destroy();
        reject(new TooLarge());
      } else if (src === req && raw > limit) tooLarge();
    });
    if (src !== req) {
      src.on('data', (c: Buffer) => {
        size += c.length;
        if (size > limit) tooLarge();
        else chunks.push(c);
      });
    } else {
      req.on('data', (c: Buffer) => {
        if (!over) {
          size += c.length;
          chunks.push(c);
        }
      });
    }
    src.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks, size));
    });
    src.on('error', (e) => {
      if (!over) reject(new SoapFault('Client', `the request body could not be read: ${e.message}`));
    });
  });
}

/** XML 1.0 §4.3.3: UTF-8 (with or without BOM or declaration), UTF-16 with a BOM, or a declared ISO-8859-1. */
function decodeText(buf: Buffer): string {
  if (buf[0] === 0xff && buf[1] === 0xfe) return new TextDecoder('utf-16le').decode(buf.subarray(2));
  if (buf[0] === 0xfe && buf[1] === 0xff) return new TextDecoder('utf-16be').decode(buf.subarray(2));
  const head = buf.subarray(0, 100).toString('latin1');
  const m = /^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
  const declared = m?.[1]?.toLowerCase();
  if (declared && declared !== 'utf-8' && declared !== 'utf8') {
    if (declared === 'iso-8859-1' || declared === 'latin1') return buf.toString('latin1');
    throw new SoapFault('Client', `encoding "${m![1]}" is not supported (use UTF-8)`);
  }
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    throw new SoapFault('Client', 'the request is not valid UTF-8');
  }
}

function send(res: Response, status: number, xml: string): void {
  res.status(status).type('text/xml; charset=utf-8').send(xml);
}

function toFault(e: unknown): SoapFault | undefined {
  if (e instanceof SoapFault) return e;
  if (e instanceof DecodeError) return new SoapFault('Client', e.message);
  if (e instanceof ValidationError) return new SoapFault('Client', e.message);
  if (e instanceof NotFoundError || e instanceof StateError) return new SoapFault('Client', e.message);
  if (e instanceof AuthError) return new SoapFault('Client', `service, password: ${e.message}`);
  return undefined;
}

/** The WSDL of one endpoint, read once: the schema its calls are decoded and encoded with. */
interface Wsdl {
  schema: Schema;
  codec: Codec;
  /** the WSDL text as served, with the public URL in it */
  served: string;
}

/** What one call has established so far: for its log lines, and for the throttle when it fails. */
interface CallState {
  source: string;
  opName: string;
  service: string | undefined;
  /** whether a password check ran (it counts itself against the source) */
  checked: boolean;
}

/** The router of one endpoint: GET serves the WSDL, POST takes calls. */
export function soapEndpoint<Ctx>(o: SoapEndpointOptions<Ctx>): Router {
  const text = readFileSync(o.wsdlFile, 'utf8');
  const schema = loadSchema(text);
  const wsdl: Wsdl = { schema, codec: new Codec(schema), served: text.replace('{{PUBLIC_URL}}', o.publicUrl.replace(/\/$/, '')) };
  const router = Router();
  router.get(o.path, (req, res) => serveWsdl(o, wsdl, req, res));
  router.post(o.path, (req, res) => handleCall(o, wsdl, req, res));
  return router;
}

/** GET: the WSDL at ?wsdl, otherwise a line saying what this URL is. */
function serveWsdl<Ctx>(o: SoapEndpointOptions<Ctx>, wsdl: Wsdl, req: Request, res: Response): void {
  if ('wsdl' in req.query || 'WSDL' in req.query) {
    res.type('text/xml; charset=utf-8').send(wsdl.served);
    return;
  }
  res.type('text/plain').send(`segl SOAP 1.1 endpoint. POST envelopes here; the WSDL is at ${o.publicUrl}${o.path}?wsdl\n`);
}

/** POST: one SOAP call, from the request body to the response envelope or the fault. */
async function handleCall<Ctx>(o: SoapEndpointOptions<Ctx>, wsdl: Wsdl, req: Request, res: Response): Promise<void> {
  const started = process.hrtime.bigint();
  const call: CallState = {
    source: req.ip ?? req.socket.remoteAddress ?? 'unknown',
    opName: 'unknown',
    service: undefined,
    checked: false,
  };
  try {
    const text = await readRequest(o, req, call);
    const { creds, svc } = await loginFromBody(o, wsdl, text, call);
    const payload = await dispatch(o, wsdl, text, creds, svc, call);
    send(res, 200, envelope(payload));
    o.log.debug({ op: call.opName, service: call.service, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'soap call');
  } catch (e) {
    sendFault(o, req, res, e, call);
  }
}

/**
 * The body, bounded and decoded. Before it is read (and before `100 Continue` goes out): the declared
 * size, then HTTP Basic if sent.
 */
async function readRequest<Ctx>(o: SoapEndpointOptions<Ctx>, req: Request, call: CallState): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > o.bodyLimit) throw new TooLarge();
  const basic = basicCredentials(req);
  call.checked = !!basic;
  if (basic) await login(o, call.source, basic, 401);
  return decodeText(await readBody(req, o.bodyLimit));
}

/** The service/password elements from the start of the body, checked; a fault when they are missing. */
async function loginFromBody<Ctx>(
  o: SoapEndpointOptions<Ctx>,
  wsdl: Wsdl,
  text: string,
  call: CallState,
): Promise<{ creds: Credentials; svc: ServiceAccount }> {
  const creds = findCredentials(text);
  if (!creds) {
    if (text.length > PRELOGIN_CHARS) {
      throw new SoapFault(
        'Client',
        `service, password: not found within the first ${PRELOGIN_CHARS / 1024} KiB; send them first in the operation element, as the WSDL orders them`,
      );
    }
    // A small body: parse it under the pre-login limits for the precise fault (it has no credentials).
    const op = readEnvelope(text, PRELOGIN_LIMITS);
    wsdl.codec.decodeRoot(op);
    throw new SoapFault('Client', 'service, password: are required in the operation element');
  }
  call.service = creds.service;
  call.checked = true;
  return { creds, svc: await login(o, call.source, creds) };
}

/** One throttled password check; refused (too many failures) and wrong ones are faults. */
async function login<Ctx>(o: SoapEndpointOptions<Ctx>, source: string, c: Credentials, status = 500): Promise<ServiceAccount> {
  const attempt = o.limiter.admit(source, c.service);
  if (!attempt.ok) {
    throw new Throttled(Math.ceil(attempt.retryAfterMs / 1000), source);
  }
  let svc: ServiceAccount | null;
  try {
    await pause(attempt.waitMs);
    svc = await o.authenticate(c.service, c.password);
  } catch (e) {
    attempt.cancel();
    throw e;
  }
  if (!svc) {
    attempt.fail();
    if (status !== 500) throw new SoapFault('Client', 'service, password: service or password is wrong (HTTP Basic)', status);
    throw new AuthError();
  }
  attempt.succeed();
  return svc;
}

/**
 * The full parse (for a caller who logged in), the operation by its element, the input decoded and
 * run; the response payload (null for an empty Body).
 */
async function dispatch<Ctx>(
  o: SoapEndpointOptions<Ctx>,
  { schema, codec }: Wsdl,
  text: string,
  creds: Credentials,
  svc: ServiceAccount,
  call: CallState,
): Promise<string | null> {
  let root;
  try {
    root = await parseXmlAsync(text, DEFAULT_XML_LIMITS);
  } catch (e) {
    throw e instanceof XmlError ? notXml(e) : e;
  }
  const op = envelopeOperation(root);
  if (op.uri !== schema.targetNamespace) {
    throw new SoapFault('Client', `${op.local}: namespace "${op.uri}" is not ${schema.targetNamespace}`);
  }
  const operation = o.operations[op.local];
  if (!operation) throw new SoapFault('Client', `${op.local}: not an operation of this service`);
  call.opName = operation.name;
  let input: Record<string, unknown> & { service: string; password: string };
  try {
    input = codec.decodeRoot(op) as typeof input;
  } catch (e) {
    if (e instanceof DecodeError && operation.invalid && operation.response) {
      return codec.encodeRoot(operation.response, operation.invalid(e.message));
    }
    throw e;
  }
  if (input.service !== creds.service || input.password !== creds.password) {
    throw new SoapFault('Client', 'service, password: must appear once each, as direct children of the operation element');
  }
  const out = await operation.run(o.context, svc, input);
  return operation.response === null ? null : codec.encodeRoot(operation.response, out ?? {});
}

/** Any failure of a call as its fault: 413 for a body too large, Client faults, Server with a logged reference. */
function sendFault<Ctx>(o: SoapEndpointOptions<Ctx>, req: Request, res: Response, e: unknown, call: CallState): void {
  // A call refused before any password check still counts against its source (checks count themselves).
  if (!call.checked) o.limiter.refused(call.source);
  if (e instanceof TooLarge) {
    const f = new SoapFault('Client', `the request body exceeds the limit of ${o.bodyLimit} bytes`, 413);
    res.setHeader('Connection', 'close');
    send(res, f.httpStatus, faultEnvelope(f));
    if (!req.readableEnded) req.resume();
    return;
  }
  let fault = toFault(e);
  if (!fault) {
    const ref = newErrorReference();
    o.log.error({ err: e, op: call.opName, service: call.service, ref }, 'soap call failed');
    fault = new SoapFault('Server', `internal error (reference ${ref})`);
  } else {
    o.log.info({ op: call.opName, service: call.service, fault: fault.faultstring }, 'soap fault');
  }
  if (e instanceof Throttled) res.setHeader('Retry-After', String(e.retryAfterS));
  if (fault.httpStatus === 401) {
    res.setHeader('WWW-Authenticate', 'Basic realm="segl", charset="UTF-8"');
    res.setHeader('Connection', 'close'); // the body was not read
  }
  send(res, fault.httpStatus, faultEnvelope(fault));
}
