// Errors the core raises. Adapters map them to their protocol: SOAP faults (Client), HTTP 4xx, portal pages.

/** One broken rule at one place in the caller's input, e.g. `request[0]/task[1]/@id`. */
export interface Violation {
  path: string;
  rule: string;
}

/** Input breaks a rule; nothing was changed. */
export class ValidationError extends Error {
  readonly violations: Violation[];
  constructor(violations: Violation[]) {
    super(violations.map((v) => `${v.path}: ${v.rule}`).join('; '));
    this.name = 'ValidationError';
    this.violations = violations;
  }
  static one(path: string, rule: string): ValidationError {
    return new ValidationError([{ path, rule }]);
  }
}

/** A referenced request, task, notification or document does not exist for this service. */
export class NotFoundError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'NotFoundError';
  }
}

/** The operation is not allowed in the current state (e.g. disabling a completed task). */
export class StateError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'StateError';
  }
}

/** Wrong service or password. The message never says which. */
export class AuthError extends Error {
  constructor(message = 'service or password is wrong') {
    super(message);
    this.name = 'AuthError';
  }
}
