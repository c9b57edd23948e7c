// URL callbacks: GET the recipient with requestId and taskId appended, signed (Standard Webhooks
// headers over the URL), to an allowlisted address only, redirects not followed; 2xx is delivery.
import { isIP } from 'node:net';
import { callbackUrl } from '../../core/outbox';
import { checkDestination, parseAllowPatterns, type AllowPattern } from '../../notify/allowlist';
import { callOnce } from '../../notify/callback';
import { PermanentDeliveryError } from '../../notify/errors';
import type { NotifyDeps, Send } from '../../notify/delivery';
import { signWebhook } from '../../notify/signature';

type Pinned = Awaited<ReturnType<typeof checkDestination>>;

/** A small map that forgets everything when full (the keys are a deployment's few allowlists and destinations). */
function bounded<V>(max: number): { get(k: string): V | undefined; set(k: string, v: V): void } {
  const m = new Map<string, V>();
  return {
    get: (k) => m.get(k),
    set: (k, v) => {
      if (m.size >= max) m.clear();
      m.set(k, v);
    },
  };
}

export function callbackSend(deps: NotifyDeps): Send {
  const globalText = deps.config.callbackAllow.join(',');
  // Parsed allowlists by the service's list (the deployment's patterns first), and approved IP-literal
  // destinations: with no name to resolve, the verdict depends only on scheme, address, port and
  // patterns. Names are checked (and resolved) on every call: DNS may change.
  const patternsByList = bounded<AllowPattern[]>(1000);
  const literalOk = bounded<Pinned>(10_000);
  // opened webhook secrets by service and sealed value (opening costs an AES-GCM pass per call; a new
  // secret is a new sealed value, so a rotated secret is never served from here)
  const secrets = bounded<string>(1000);
  const patternsFor = (serviceList: string[]): { key: string; patterns: AllowPattern[] } => {
    const key = serviceList.join(',');
    let patterns = patternsByList.get(key);
    if (!patterns) {
      patterns = [...parseAllowPatterns(globalText), ...parseAllowPatterns(key)];
      patternsByList.set(key, patterns);
    }
    return { key, patterns };
  };
  return async (w, attempt, expand) => {
    let url: URL;
    try {
      url = callbackUrl(await expand(w.notification.recipient), w.requestId, w.taskId);
    } catch {
      throw new PermanentDeliveryError('the recipient is not a valid URL after placeholders were filled in');
    }
    const { key, patterns } = patternsFor(w.callbackAllow);
    const cacheable = isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0 && !url.username && !url.password;
    const destKey = `${url.protocol}//${url.host}\n${key}`;
    let pinned = cacheable ? literalOk.get(destKey) : undefined;
    if (!pinned) {
      pinned = await checkDestination(url, patterns, { httpsOnly: deps.production, resolve: deps.resolve });
      if (cacheable) literalOk.set(destKey, pinned);
    }
    // stored sealed (store/atrest.ts): opened here, never logged
    const sealedKey = w.webhookSecret && `${w.serviceName}\n${w.webhookSecret}`;
    let secret = sealedKey ? secrets.get(sealedKey) : undefined;
    if (!secret) {
      secret = w.webhookSecret
        ? deps.services.openWebhookSecret(w.serviceName, w.webhookSecret)
        : (await deps.services.settings(w.serviceName)).webhookSecret;
      if (sealedKey) secrets.set(sealedKey, secret);
    }
    const ts = Math.floor(Date.now() / 1000);
    const res = await callOnce(
      url,
      {
        'x-segl-delivery-id': w.deliveryId,
        'x-segl-attempt': String(attempt),
        'webhook-id': w.deliveryId,
        'webhook-timestamp': String(ts),
        'webhook-signature': signWebhook(secret, w.deliveryId, ts, url.href),
      },
      pinned,
      deps.config.callbackTimeoutMs,
    );
    if (res.status >= 300 && res.status < 400) {
      throw new Error(`HTTP ${res.status}: redirects are not followed${res.location ? ` (Location: ${res.location.slice(0, 200)})` : ''}`);
    }
    if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}`);
    return `delivered to ${url.host} (HTTP ${res.status} in ${res.ms} ms)`;
  };
}
