// SMS transports for the notification workers: an HTTP gateway (most providers take a templated
// JSON or form request) or, without a gateway, an outbox directory of .json files for the dev page.
import { randomUUID } from 'node:crypto';
import { outboxTime, writeOutboxFile } from './email';
import { PermanentDeliveryError } from './errors';

export interface SmsMessage {
  from?: string;
  /** E.164, e.g. +4791234567 */
  to: string;
  text: string;
}

export interface SmsSender {
  readonly kind: 'http' | 'outbox';
  send(m: SmsMessage): Promise<{ id: string }>;
  close(): Promise<void>;
}

/** Outbox SMS file names: `<ISO time without colons>-<uuid>.json`. */
export const OUTBOX_SMS_NAME = /^\d{4}-\d{2}-\d{2}T\d{6}\.\d{3}Z-[0-9a-f-]{36}\.json$/;

export function isE164(s: string): boolean {
  return /^\+[1-9]\d{6,14}$/.test(s);
}

function checkTo(m: SmsMessage): void {
  if (!isE164(m.to)) throw new PermanentDeliveryError('SMS recipient is not an E.164 number (+<country><number>)');
}

export interface HttpSmsOptions {
  /** gateway URL; for GET it may hold the placeholders `${to}`, `${from}`, `${text}` (URL-encoded when filled in) */
  url: string;
  method?: 'POST' | 'GET';
  /**
   * POST body with the placeholders; default by content type:
   * JSON `{"to":"${to}","from":"${from}","text":"${text}"}`, form `to=${to}&from=${from}&text=${text}`
   */
  bodyTemplate?: string;
  /**
   * default application/json (values JSON-escaped); application/x-www-form-urlencoded URL-encodes them;
   * anything else inserts them as they are
   */
  contentType?: string;
  /** the Authorization header value, e.g. `Bearer …` or `Basic …`; never shown in errors */
  authorization?: string;
  /** default 10 s */
  timeoutMs?: number;
  /** sender when a message has no `from` */
  defaultFrom?: string;
}

type Encoder = (v: string) => string;
const jsonString: Encoder = (v) => JSON.stringify(v).slice(1, -1);
const PLACEHOLDER = /\$\{(to|from|text)\}/g;

/** Fills the placeholders in one pass, so a value that itself looks like `${to}` stays as it is. */
function fill(template: string, values: Record<'to' | 'from' | 'text', string>, encode: Encoder): string {
  return template.replace(PLACEHOLDER, (_, k: 'to' | 'from' | 'text') => encode(values[k]));
}

/** The `id`, `messageId` or `message_id` of a JSON answer, if it has one. */
function idOf(body: string): string | undefined {
  try {
    const j = JSON.parse(body) as Record<string, unknown>;
    for (const k of ['id', 'messageId', 'message_id']) {
      const v = j?.[k];
      if ((typeof v === 'string' && v) || typeof v === 'number') return String(v);
    }
  } catch {
    /* not JSON: the caller makes an id */
  }
  return undefined;
}

export class HttpSmsSender implements SmsSender {
  readonly kind = 'http' as const;
  private readonly method: 'POST' | 'GET';
  private readonly contentType: string;
  private readonly bodyTemplate: string;
  private readonly encodeBody: Encoder;
  private readonly timeoutMs: number;
  /** host only: the URL may carry an API key */
  private readonly where: string;

  constructor(private readonly opts: HttpSmsOptions) {
    let probe: URL;
    try {
      probe = new URL(fill(opts.url, { to: '', from: '', text: '' }, encodeURIComponent));
    } catch {
      throw new Error('SMS gateway URL is not a valid URL');
    }
    if (probe.protocol !== 'http:' && probe.protocol !== 'https:') throw new Error('SMS gateway URL must be http:// or https://');
    this.where = probe.host;
    this.method = opts.method ?? 'POST';
    this.contentType = opts.contentType ?? 'application/json';
    const type = this.contentType.split(';')[0]!.trim().toLowerCase();
    const form = type === 'application/x-www-form-urlencoded';
    const json = type === 'application/json' || type.endsWith('+json');
    this.encodeBody = json ? jsonString : form ? encodeURIComponent : (v) => v;
    this.bodyTemplate =
      opts.bodyTemplate ??
      (form ? 'to=${to}&from=${from}&text=${text}' : json ? '{"to":"${to}","from":"${from}","text":"${text}"}' : '${text}');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** `text` without the Authorization value, should a gateway echo it. */
  private scrub(text: string): string {
    const auth = this.opts.authorization;
    return auth ? text.split(auth).join('[redacted]') : text;
  }

  async send(m: SmsMessage): Promise<{ id: string }> {
    checkTo(m);
    const values = { to: m.to, from: m.from ?? this.opts.defaultFrom ?? '', text: m.text };
    const headers: Record<string, string> = { accept: 'application/json, */*;q=0.5' };
    if (this.opts.authorization) headers.authorization = this.opts.authorization;
    const init: RequestInit = { method: this.method, headers, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) };
    if (this.method === 'POST') {
      headers['content-type'] = this.contentType;
      init.body = fill(this.bodyTemplate, values, this.encodeBody);
    }
    let res: Response;
    let body: string;
    try {
      res = await fetch(fill(this.opts.url, values, encodeURIComponent), init);
      body = await res.text();
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      if (err.name === 'TimeoutError' || err.name === 'AbortError') {
        throw new Error(`SMS gateway ${this.where} did not answer within ${this.timeoutMs} ms`);
      }
      throw new Error(
        this.scrub(`SMS gateway ${this.where} request failed: ${err.message}${err.cause?.code ? ` (${err.cause.code})` : ''}`),
      );
    }
    if (res.status >= 200 && res.status < 300) return { id: idOf(body) ?? randomUUID() };
    const snippet = body.replace(/\s+/g, ' ').trim().slice(0, 200);
    const message = this.scrub(
      `SMS gateway ${this.where} answered ${res.status}${res.status >= 300 && res.status < 400 ? ' (redirects are not followed)' : ''}${snippet ? `: ${snippet}` : ''}`,
    );
    const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
    throw permanent ? new PermanentDeliveryError(message) : Object.assign(new Error(message), { status: res.status });
  }

  async close(): Promise<void> {
    /* fetch keeps no state of ours */
  }
}

export class OutboxSmsSender implements SmsSender {
  readonly kind = 'outbox' as const;
  constructor(private readonly opts: { dir: string; defaultFrom?: string }) {}

  async send(m: SmsMessage): Promise<{ id: string }> {
    checkTo(m);
    const id = randomUUID();
    const now = new Date();
    const record = { id, from: m.from ?? this.opts.defaultFrom ?? null, to: m.to, text: m.text, at: now.toISOString() };
    await writeOutboxFile(this.opts.dir, `${outboxTime(now)}-${id}.json`, JSON.stringify(record, null, 2) + '\n');
    return { id };
  }

  async close(): Promise<void> {
    /* nothing held open */
  }
}

/** The HTTP gateway when a URL is configured, otherwise the outbox directory. */
export function smsSenderFrom(opts: {
  url?: string;
  method?: 'POST' | 'GET';
  bodyTemplate?: string;
  contentType?: string;
  authorization?: string;
  from?: string;
  outboxDir: string;
}): SmsSender {
  if (!opts.url) return new OutboxSmsSender({ dir: opts.outboxDir, defaultFrom: opts.from });
  return new HttpSmsSender({
    url: opts.url,
    method: opts.method,
    bodyTemplate: opts.bodyTemplate,
    contentType: opts.contentType,
    authorization: opts.authorization,
    defaultFrom: opts.from,
  });
}
