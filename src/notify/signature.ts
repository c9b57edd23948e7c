// Standard Webhooks signatures (https://www.standardwebhooks.com, "Signature scheme"): HMAC-SHA256,
// keyed with the base64 part of a `whsec_` secret, over `{id}.{timestamp}.{content}`, sent as
// `webhook-signature: v1,<base64>`. segl's callbacks are GETs without a body, so the content signed
// is the full request URL (with requestId and taskId) instead.
import { createHmac } from 'node:crypto';
import { equalSecret } from '../util/bytes';

function key(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

/** The `webhook-signature` value for one call. */
export function signWebhook(secret: string, id: string, timestamp: number, content: string): string {
  return `v1,${createHmac('sha256', key(secret)).update(`${id}.${timestamp}.${content}`).digest('base64')}`;
}

/**
 * What a receiver does: recompute and compare in constant time, and refuse timestamps more than
 * `toleranceSec` away from now (replays). `header` may hold several space-separated signatures.
 */
export function verifyWebhook(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  content: string,
  nowSec = Math.floor(Date.now() / 1000),
  toleranceSec = 300,
): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSec - ts) > toleranceSec) return false;
  const expected = Buffer.from(signWebhook(secret, headers.id, ts, content));
  return headers.signature.split(' ').some((s) => {
    const got = Buffer.from(s);
    return equalSecret(got, expected);
  });
}
