// Errors of the notification transports. A worker retries what may go through later and gives up on
// what never will: a PermanentDeliveryError (checked with instanceof) is the one way to say "never"
// (SMTP 5xx, HTTP 4xx other than 408/429, a bad number, a refused callback destination).

/** The message was refused for good: sending it again would be refused again. */
export class PermanentDeliveryError extends Error {
  readonly permanent = true;
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}
