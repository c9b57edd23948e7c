// Errors of the notification transports. A worker retries what may go through later and gives up on
// what never will: `permanent` tells the two apart (SMTP 5xx, HTTP 4xx other than 408/429, a bad number).

/** The message was refused for good: sending it again would be refused again. */
export class PermanentDeliveryError extends Error {
  readonly permanent = true;
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}
