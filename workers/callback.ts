// URL callbacks: GET the recipient with requestId and taskId appended, signed (Standard Webhooks
// headers over the URL), to an allowlisted address only, redirects not followed; 2xx is delivery.
import { callbackUrl } from '../src/core/outbox';
import { checkDestination, parseAllowPatterns } from '../src/notify/allowlist';
import { callOnce } from '../src/notify/callback';
import type { NotifyDeps, Send } from '../src/notify/delivery';
import { signWebhook } from '../src/notify/signature';

export function callbackSend(deps: NotifyDeps): Send {
  const global = parseAllowPatterns(deps.config.callbackAllow.join(','));
  return async (w, attempt, expand) => {
    let url: URL;
    try {
      url = callbackUrl(await expand(w.notification.recipient), w.requestId, w.taskId);
    } catch {
      throw Object.assign(new Error('the recipient is not a valid URL after placeholders were filled in'), { permanent: true });
    }
    const patterns = [...global, ...parseAllowPatterns(w.callbackAllow.join(','))];
    const pinned = await checkDestination(url, patterns, { httpsOnly: deps.production, resolve: deps.resolve });
    const secret = w.webhookSecret ?? (await deps.services.settings(w.serviceName)).webhookSecret;
    const ts = Math.floor(Date.now() / 1000);
    const res = await callOnce(url, {
      'x-segl-delivery-id': w.deliveryId,
      'x-segl-attempt': String(attempt),
      'webhook-id': w.deliveryId,
      'webhook-timestamp': String(ts),
      'webhook-signature': signWebhook(secret, w.deliveryId, ts, url.href),
    }, pinned, deps.config.callbackTimeoutMs);
    if (res.status >= 300 && res.status < 400) {
      throw new Error(`HTTP ${res.status}: redirects are not followed${res.location ? ` (Location: ${res.location.slice(0, 200)})` : ''}`);
    }
    if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}`);
    return `delivered to ${url.host} (HTTP ${res.status} in ${res.ms} ms)`;
  };
}
