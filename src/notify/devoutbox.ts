// Development outbox page: what the outbox e-mail and SMS senders wrote, newest first. It shows every
// tenant's messages, and their task links log a signer in (artifacts): so it sits behind the admin
// login (`auth`, from ops/admin.ts), never open, and only in preprod.
//   GET /dev/outbox                 HTML page
//   GET /dev/outbox.json            { mails: [...], sms: [...] }
//   GET /dev/outbox/mail/:name      the .eml as message/rfc822
import { open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import express from 'express';
import { escapeHtml as esc } from '../util/escape';
import { OUTBOX_EML_NAME } from './email';
import { OUTBOX_SMS_NAME } from './sms';

const MAX_ITEMS = 200;
/** Enough of a mail for its headers and the start of its body. */
const HEAD_BYTES = 64 * 1024;
const PREVIEW_LINES = 5;

export interface OutboxMail {
  name: string;
  time: string;
  from: string;
  to: string;
  subject: string;
  preview: string;
  href: string;
}
export interface OutboxSms {
  name: string;
  id: string;
  time: string;
  from: string;
  to: string;
  text: string;
}

/** `2024-05-01T081502.123Z-…` → `2024-05-01T08:15:02.123Z` */
function timeOfName(name: string): string {
  const t = name.slice(0, 22);
  return `${t.slice(0, 13)}:${t.slice(13, 15)}:${t.slice(15)}`;
}

/** Newest first (the names start with the time), at most MAX_ITEMS; a missing directory is empty. */
async function newest(dir: string, pattern: RegExp): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .filter((n) => pattern.test(n))
    .sort()
    .reverse()
    .slice(0, MAX_ITEMS);
}

async function readHead(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function decodeCharset(bytes: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset || 'utf-8').decode(bytes);
  } catch {
    return bytes.toString('utf8'); // an unknown charset label
  }
}

function decodeQuotedPrintable(s: string, underscoreIsSpace: boolean): Buffer {
  const t = (underscoreIsSpace ? s.replace(/_/g, ' ') : s).replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < t.length; i++) {
    const hex = t[i] === '=' ? t.slice(i + 1, i + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else {
      out.push(t.charCodeAt(i) & 0xff); // the text holds bytes (latin1) or ASCII
    }
  }
  return Buffer.from(out);
}

/** RFC 2047 encoded-words (`=?utf-8?B?…?=`, `=?utf-8?Q?…?=`); whitespace between two of them goes. */
export function decodeEncodedWords(value: string): string {
  const word = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
  return value
    .replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)/g, '$1')
    .replace(word, (_, charset: string, enc: string, data: string) => {
      const bytes = enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64') : decodeQuotedPrintable(data, true);
      return decodeCharset(bytes, charset.split('*')[0]!);
    });
}

interface ParsedMail {
  headers: Map<string, string>;
  body: string;
}

/**
 * Headers (unfolded, names in lower case, first occurrence wins) and the decoded text body of a single-part or the
 * first part of a multipart mail.
 */
export function parseEml(raw: Buffer, depth = 0): ParsedMail {
  const text = raw.toString('latin1'); // byte-preserving; bodies are decoded by their charset below
  const split = /\r?\n\r?\n/.exec(text);
  const headText = split ? text.slice(0, split.index) : text;
  const bodyRaw = split ? text.slice(split.index + split[0].length) : '';
  const headers = new Map<string, string>();
  for (const line of headText.replace(/\r?\n[ \t]/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, decodeCharset(Buffer.from(line.slice(colon + 1).trim(), 'latin1'), 'utf-8'));
  }
  const type = headers.get('content-type') ?? 'text/plain';
  const param = (key: string) => new RegExp(`;\\s*${key}="?([^";]+)"?`, 'i').exec(type)?.[1] ?? '';
  if (/^multipart\//i.test(type) && depth < 3) {
    const boundary = param('boundary');
    const first = boundary ? text.split(`--${boundary}`)[1] : undefined;
    return { headers, body: first ? parseEml(Buffer.from(first.replace(/^\r?\n/, ''), 'latin1'), depth + 1).body : '' };
  }
  const cte = (headers.get('content-transfer-encoding') ?? '').toLowerCase();
  const bytes =
    cte === 'base64'
      ? Buffer.from(bodyRaw.replace(/\s+/g, ''), 'base64')
      : cte === 'quoted-printable'
        ? decodeQuotedPrintable(bodyRaw, false)
        : Buffer.from(bodyRaw, 'latin1');
  return { headers, body: decodeCharset(bytes, param('charset') || 'utf-8') };
}

async function listMails(dir: string): Promise<OutboxMail[]> {
  const out: OutboxMail[] = [];
  for (const name of await newest(dir, OUTBOX_EML_NAME)) {
    let mail: ParsedMail;
    try {
      mail = parseEml(await readHead(path.join(dir, name)));
    } catch {
      continue; // removed in the meantime
    }
    const h = (k: string) => decodeEncodedWords(mail.headers.get(k) ?? '');
    const preview = mail.body.split(/\r?\n/).slice(0, PREVIEW_LINES).join('\n').trimEnd();
    out.push({
      name,
      time: timeOfName(name),
      from: h('from'),
      to: h('to'),
      subject: h('subject'),
      preview,
      href: `/dev/outbox/mail/${name}`,
    });
  }
  return out;
}

async function listSms(dir: string): Promise<OutboxSms[]> {
  const out: OutboxSms[] = [];
  for (const name of await newest(dir, OUTBOX_SMS_NAME)) {
    try {
      const j = JSON.parse(await readFile(path.join(dir, name), 'utf8')) as Record<string, unknown>;
      const s = (v: unknown) => (typeof v === 'string' ? v : '');
      out.push({ name, id: s(j.id), time: s(j.at) || timeOfName(name), from: s(j.from), to: s(j.to), text: s(j.text) });
    } catch {
      continue; // removed in the meantime, or not ours
    }
  }
  return out;
}

function page(mails: OutboxMail[], sms: OutboxSms[]): string {
  const mailRows = mails
    .map(
      (m) =>
        `<tr><td>${esc(m.time)}</td><td>${esc(m.from)}</td><td>${esc(m.to)}</td>` +
        `<td><a href="${esc(m.href)}">${esc(m.subject || '(no subject)')}</a><pre>${esc(m.preview)}</pre></td></tr>`,
    )
    .join('\n');
  const smsRows = sms
    .map((s) => `<tr><td>${esc(s.time)}</td><td>${esc(s.from)}</td><td>${esc(s.to)}</td><td><pre>${esc(s.text)}</pre></td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dev outbox</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}pre{white-space:pre-wrap;margin:.3em 0 0;color:#444}</style>
</head><body>
<h1>Dev outbox</h1>
<h2>E-mail (${mails.length})</h2>
<table><tr><th>Time</th><th>From</th><th>To</th><th>Subject and start of body</th></tr>
${mailRows || '<tr><td colspan="4">none</td></tr>'}
</table>
<h2>SMS (${sms.length})</h2>
<table><tr><th>Time</th><th>From</th><th>To</th><th>Text</th></tr>
${smsRows || '<tr><td colspan="4">none</td></tr>'}
</table>
</body></html>
`;
}

export function devOutboxRouter(opts: { mailDir: string; smsDir: string; auth: express.RequestHandler }): express.Router {
  const router = express.Router();
  const lists = async () => {
    const [mails, sms] = await Promise.all([listMails(opts.mailDir), listSms(opts.smsDir)]);
    return { mails, sms };
  };
  router.get('/dev/outbox', opts.auth, async (_req, res) => {
    const { mails, sms } = await lists();
    res.set('cache-control', 'no-store').type('html').send(page(mails, sms));
  });
  router.get('/dev/outbox.json', opts.auth, async (_req, res) => {
    res.set('cache-control', 'no-store').json(await lists());
  });
  router.get('/dev/outbox/mail/:name', opts.auth, async (req, res) => {
    const name = String(req.params.name);
    if (!OUTBOX_EML_NAME.test(name)) {
      res.status(404).type('text').send('not found');
      return;
    }
    let eml: Buffer;
    try {
      eml = await readFile(path.join(opts.mailDir, name));
    } catch {
      res.status(404).type('text').send('not found');
      return;
    }
    res.set('cache-control', 'no-store').type('message/rfc822').send(eml);
  });
  return router;
}
