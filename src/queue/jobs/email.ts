// E-mail notifications: sender → From (the deployment's SEGL_MAIL_FROM when absent), header → Subject,
// message → body; placeholders filled in. SMTP when configured, otherwise the dev outbox directory.
import type { NotifyDeps, Send } from '../../notify/delivery';

export function emailSend(deps: NotifyDeps): Send {
  return async (w, _attempt, expand) => {
    const n = w.notification;
    const sent = await deps.email.send({
      from: n.sender?.trim() ? n.sender : deps.config.mailFrom,
      to: n.recipient,
      subject: await expand(n.header ?? 'Document to sign'),
      text: await expand(n.message),
      headers: { 'X-Segl-Delivery-Id': w.deliveryId },
    });
    return `sent to ${n.recipient} via ${deps.email.kind} (${sent.messageId})`;
  };
}
