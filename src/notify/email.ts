// E-mail transports for the notification workers: SMTP (nodemailer, pooled) or, without an SMTP
// server, an outbox directory of .eml files that the dev outbox page shows.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { parseConnectionUrl } from 'nodemailer/lib/shared';
import { PermanentDeliveryError } from './errors';

export interface EmailMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
  headers?: Record<string, string>;
}

export interface EmailSender {
  readonly kind: 'smtp' | 'outbox';
  send(m: EmailMessage): Promise<{ messageId: string }>;
  close(): Promise<void>;
}

/** Outbox mail file names: `<ISO time without colons>-<message id, safe characters only>.eml`. */
export const OUTBOX_EML_NAME = /^\d{4}-\d{2}-\d{2}T\d{6}\.\d{3}Z-[A-Za-z0-9._-]{1,100}\.eml$/;

/** `2024-05-01T081502.123Z`: an ISO time that sorts as text and is a valid file name everywhere. */
export function outboxTime(d = new Date()): string {
  return d.toISOString().replace(/:/g, '');
}

/** Writes `name` into `dir` (created if missing) via a temporary file and rename, so readers never see half a file. */
export async function writeOutboxFile(dir: string, name: string, data: string | Uint8Array): Promise<string> {
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, name);
  const tmp = path.join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return target;
}

function mailOptions(m: EmailMessage) {
  return { from: m.from, to: m.to, subject: m.subject, text: m.text, headers: m.headers };
}

/** The SMTP error fields nodemailer sets (see NodemailerError). */
interface SmtpFailure {
  message?: string;
  code?: string;
  responseCode?: number;
  permanent?: boolean;
}

export class SmtpEmailSender implements EmailSender {
  readonly kind = 'smtp' as const;
  private readonly transport: ReturnType<typeof nodemailer.createTransport>;
  private readonly secrets: string[];

  /**
   * `url`: `smtp://[user:pass@]host[:port]` (STARTTLS when offered, port 587 by default) or `smtps://`
   * (TLS from the start, port 465); nodemailer's query options such as `?requireTLS=true` pass through.
   * `timeoutMs` bounds connecting, the greeting and each wait on the socket (default 10 s).
   */
  constructor(opts: { url: string; timeoutMs?: number }) {
    if (!/^smtps?:\/\//i.test(opts.url)) throw new Error('SMTP URL must start with smtp:// or smtps://');
    const parsed = parseConnectionUrl(opts.url);
    if (!parsed.host) throw new Error('SMTP URL has no host');
    const pass = parsed.auth?.pass ?? '';
    this.secrets = pass ? [...new Set([pass, encodeURIComponent(pass)])] : [];
    const timeout = opts.timeoutMs ?? 10_000;
    this.transport = nodemailer.createTransport({
      ...parsed,
      pool: true,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      // a pooled connection is let go before the server's or our own inactivity limit ends it
      idleTimeout: Math.max(1000, Math.floor(timeout / 2)),
    });
  }

  /** `text` without the password, in whatever form it may have been echoed. */
  private scrub(text: string): string {
    return this.secrets.reduce((s, secret) => s.split(secret).join('[redacted]'), text);
  }

  async send(m: EmailMessage): Promise<{ messageId: string }> {
    try {
      const info = await this.transport.sendMail(mailOptions(m));
      return { messageId: info.messageId };
    } catch (e) {
      const f = (e ?? {}) as SmtpFailure;
      const message = this.scrub(`SMTP delivery failed${f.code ? ` (${f.code})` : ''}: ${f.message ?? String(e)}`);
      // nodemailer marks 5xx replies permanent except 503 (bad sequence: a new session may succeed)
      const permanent = f.permanent ?? (f.responseCode !== undefined && f.responseCode >= 500 && f.responseCode < 600);
      throw permanent ? new PermanentDeliveryError(message) : new Error(message);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

export class OutboxEmailSender implements EmailSender {
  readonly kind = 'outbox' as const;
  private readonly transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });

  constructor(private readonly opts: { dir: string }) {}

  async send(m: EmailMessage): Promise<{ messageId: string }> {
    const info = await this.transport.sendMail(mailOptions(m));
    const safeId =
      info.messageId
        .replace(/^<|>$/g, '')
        .replace(/[^A-Za-z0-9._-]/g, '_')
        .slice(0, 100) || 'message';
    await writeOutboxFile(this.opts.dir, `${outboxTime()}-${safeId}.eml`, info.message as Buffer);
    return { messageId: info.messageId };
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/** SMTP when a URL is configured, otherwise the outbox directory. */
export function emailSenderFrom(opts: { smtpUrl?: string; outboxDir: string }): EmailSender {
  return opts.smtpUrl ? new SmtpEmailSender({ url: opts.smtpUrl }) : new OutboxEmailSender({ dir: opts.outboxDir });
}
