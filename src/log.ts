// Structured logs (pino). Passwords, secrets and authorization headers are redacted at the source.
import pino, { type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { app: 'segl' },
    redact: {
      paths: ['password', '*.password', 'secret', '*.secret', 'req.headers.authorization', 'headers.authorization'],
      censor: '[redacted]',
    },
  });
}
