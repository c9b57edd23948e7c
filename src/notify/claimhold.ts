// A run's hold on the rows it claimed. The relay gives a row still `sending` back to a new job once
// its claim time is older than the sending lease (the run is taken for dead); a live run whose rows
// wait long for a send slot (a backlog, a paused or loaded process) must therefore say it is alive,
// and must not send a row it may have lost. So: the claim time is renewed every third of the relay's
// lease, and a row is sent only when the run held it less than half a lease ago (checked again
// against the database when the last renewal is older). The sending lease adds the send timeout on
// top of the relay's lease, so a send begun under a confirmed hold ends before the row can be given back.
import type { Logger } from 'pino';
import type { OutboxRepository } from '../store/outbox';

export interface ClaimHold {
  /** true when the run still holds the row (renewing first when the last confirmation is old); false: do not send */
  confirm(deliveryId: string): Promise<boolean>;
  /** the row is settled (or dropped): no longer renewed */
  release(deliveryId: string): void;
  /** stops the renewals (the run is over) */
  end(): void;
}

export function holdClaim(
  outbox: Pick<OutboxRepository, 'hold'>,
  deliveryIds: string[],
  claim: string,
  leaseMs: number,
  log: Pick<Logger, 'warn'>,
): ClaimHold {
  let held = new Set(deliveryIds);
  let confirmedAt = Date.now();
  let renewing: Promise<void> | undefined;
  const renew = (): Promise<void> =>
    (renewing ??= (async () => {
      const started = Date.now(); // the hold counts from before the statement, not from its answer
      try {
        const still = new Set(await outbox.hold([...held], claim, new Date(started).toISOString()));
        held = new Set([...held].filter((id) => still.has(id)));
        confirmedAt = started;
      } finally {
        renewing = undefined;
      }
    })());
  const timer = setInterval(
    () => {
      if (held.size) renew().catch((e: unknown) => log.warn({ err: (e as Error).message }, 'could not renew the claim on deliveries'));
    },
    Math.max(100, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  return {
    async confirm(deliveryId) {
      if (!held.has(deliveryId)) return false;
      if (Date.now() - confirmedAt > leaseMs / 2) await renew();
      return held.has(deliveryId);
    },
    release(deliveryId) {
      held.delete(deliveryId);
    },
    end() {
      clearInterval(timer);
    },
  };
}
