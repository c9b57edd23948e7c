// Which TCP connections a process holds to a port, read from Linux's /proc (proc(5)): the socket
// inodes among /proc/<pid>/fd, matched with the inode column of /proc/net/tcp and tcp6, whose
// rem_address names the peer. Used to tell a call a killed process had already made from one made
// by another process after the kill (a stopped process's sockets are read before it is killed).
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** The local ports of `pid`'s TCP connections whose remote port is `port`. */
export function localPortsTo(pid: number, port: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // the descriptor closed between the listing and the read
    }
  }
  const ports = new Set<number>();
  for (const table of [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`]) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || !inodes.has(f[9]!)) continue;
      const local = parseInt(f[1]!.split(':')[1]!, 16);
      const remote = parseInt(f[2]!.split(':')[1]!, 16);
      if (remote === port) ports.add(local);
    }
  }
  return ports;
}

/** Stops `pid` (SIGSTOP) and waits until the kernel says it is stopped (state T in /proc/<pid>/stat). */
export function stopProcess(pid: number): void {
  process.kill(pid, 'SIGSTOP');
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    // the state is the field after the parenthesised command name
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^[TtZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!)) return;
  }
  throw new Error(`process ${pid} did not stop`);
}
