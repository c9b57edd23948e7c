// The callback receiver of the deliveries phase, in its own process (`fork`ed by bench/deliveries.ts,
// talking over the IPC channel): a bare node http server that answers every GET with 200 "ok" and,
// for a segl callback, notes the delivery id, the URL and the arrival time
// (performance.timeOrigin + performance.now(), comparable with the bench process's). autocannon's
// baseline hits the same handler, so both sides pay for the same server.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

/** bench → receiver */
export type ReceiverCommand =
  | { cmd: 'reset' }
  /** answers { cmd: 'reached' } once `n` callbacks arrived since the last reset */
  | { cmd: 'expect'; n: number }
  | { cmd: 'report' };

/** One callback as it arrived: delivery id, request path + query, epoch ms (fractional). */
export type Arrival = [deliveryId: string, url: string, at: number];

/** receiver → bench */
export type ReceiverMessage =
  | { cmd: 'listening'; port: number }
  | { cmd: 'ok' }
  | { cmd: 'reached'; n: number }
  | {
      cmd: 'report';
      arrivals: Arrival[];
      /** requests without a delivery id (autocannon's) */
      other: number;
      /** CPU time of the receiver process since the last reset (process.cpuUsage, user + system) */
      cpuMs: number;
      /** the headers of the first callback, to check its signature */
      sample?: { url: string; headers: Record<string, string> };
    };

const now = (): number => performance.timeOrigin + performance.now();

function main(): void {
  let arrivals: Arrival[] = [];
  let other = 0;
  let sample: { url: string; headers: Record<string, string> } | undefined;
  let waiting: number | undefined;
  let cpu = process.cpuUsage();
  const send = (m: ReceiverMessage): void => {
    process.send!(m);
  };
  const server = http.createServer((req, res) => {
    const id = req.headers['x-segl-delivery-id'];
    if (typeof id === 'string') {
      arrivals.push([id, req.url ?? '', now()]);
      if (!sample) sample = { url: req.url ?? '', headers: req.headers as Record<string, string> };
      if (waiting !== undefined && arrivals.length >= waiting) {
        send({ cmd: 'reached', n: arrivals.length });
        waiting = undefined;
      }
    } else {
      other++;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
  server.keepAliveTimeout = 65_000;
  process.on('message', (m: ReceiverCommand) => {
    if (m.cmd === 'reset') {
      arrivals = [];
      other = 0;
      sample = undefined;
      waiting = undefined;
      cpu = process.cpuUsage();
      send({ cmd: 'ok' });
    } else if (m.cmd === 'expect') {
      if (arrivals.length >= m.n) send({ cmd: 'reached', n: arrivals.length });
      else waiting = m.n;
    } else if (m.cmd === 'report') {
      const used = process.cpuUsage(cpu);
      send({ cmd: 'report', arrivals, other, cpuMs: (used.user + used.system) / 1000, ...(sample ? { sample } : {}) });
    }
  });
  process.on('disconnect', () => process.exit(0)); // the bench went away
  server.listen(0, '127.0.0.1', () => send({ cmd: 'listening', port: (server.address() as { port: number }).port }));
}

if (require.main === module) main();
