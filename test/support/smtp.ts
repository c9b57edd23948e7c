// A real SMTP server (smtp-server, no TLS, no auth) that keeps every message it receives, raw, for
// tests of the e-mail path: segl's SMTP_URL points at it.
import { SMTPServer } from 'smtp-server';

export interface SmtpSink {
  url: string;
  /** every message received, as sent (headers and body) */
  mails: string[];
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, cb) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => (raw += c));
      stream.on('end', () => {
        mails.push(raw);
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as { port: number }).port}`,
    mails,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
