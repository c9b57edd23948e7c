// The violations a core validator raises, or a failure when it accepts the input.
import { ValidationError, type Violation } from '../../src/core/errors';

export function violationsOf(fn: () => unknown): Violation[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e.violations;
    throw e;
  }
  throw new Error('expected a ValidationError, but the input was accepted');
}
