// SMS notifications to an E.164 number through the configured HTTP gateway, or the dev outbox.
import type { NotifyDeps, Send } from '../../notify/delivery';

export function smsSend(deps: NotifyDeps): Send {
  return async (w, _attempt, expand) => {
    const n = w.notification;
    const sent = await deps.sms.send({ from: n.sender, to: n.recipient, text: await expand(n.message) });
    return `sent to ${n.recipient} via ${deps.sms.kind} (${sent.id})`;
  };
}
