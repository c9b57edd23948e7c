// Where callbacks may go. A destination must match an allowlist pattern (the deployment's
// SEGL_CALLBACK_ALLOW or the service's own), and an address in a private, loopback, link-local or
// other special range is refused unless a pattern names that host or address explicitly (a
// wildcard never opens internal networks). The address checked is the one connected to.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** One allowlist entry: `host`, `host:port`, `*.domain[:port]`, `*` / `*:port`, an IP, `[v6]:port`, or a CIDR. */
export type AllowPattern =
  | { kind: 'any'; port?: number; text: string }
  | { kind: 'suffix'; suffix: string; port?: number; text: string }
  | { kind: 'host'; host: string; port?: number; text: string }
  | { kind: 'net'; list: BlockList; port?: number; text: string };

const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

function splitPort(s: string): { host: string; port?: number } {
  const v6 = /^\[([0-9a-f:.]+)\](?::(\d+))?$/i.exec(s);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : undefined };
  const m = /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m) return { host: s };
  return { host: m[1]!, port: m[2] ? Number(m[2]) : undefined };
}

/** Parses one pattern; throws naming it when it is not one of the accepted forms. */
export function parseAllowPattern(raw: string): AllowPattern {
  const text = raw.trim().toLowerCase();
  const bad = () => new Error(`"${raw.trim()}" is not an allowlist pattern (host, host:port, *.domain, *.domain:port, *, an IP address or a CIDR such as 10.0.0.0/8)`);
  const cidr = /^([0-9a-f:.]+)\/(\d{1,3})$/.exec(text);
  if (cidr) {
    const family = isIP(cidr[1]!);
    const bits = Number(cidr[2]);
    if (!family || bits > (family === 4 ? 32 : 128)) throw bad();
    const list = new BlockList();
    list.addSubnet(cidr[1]!, bits, family === 4 ? 'ipv4' : 'ipv6');
    return { kind: 'net', list, text };
  }
  const { host, port } = splitPort(text);
  if (port !== undefined && (port < 1 || port > 65535)) throw bad();
  if (host === '*') return { kind: 'any', port, text };
  if (isIP(host)) {
    const list = new BlockList();
    list.addAddress(host, isIP(host) === 4 ? 'ipv4' : 'ipv6');
    return { kind: 'net', list, port, text };
  }
  if (host.startsWith('*.') && HOST.test(host.slice(2))) return { kind: 'suffix', suffix: host.slice(1), port, text };
  if (HOST.test(host)) return { kind: 'host', host, port, text };
  throw bad();
}

/** A comma-separated list (SEGL_CALLBACK_ALLOW, `segl service set --callback-allow`). */
export function parseAllowPatterns(s: string): AllowPattern[] {
  return s.split(',').map((x) => x.trim()).filter(Boolean).map(parseAllowPattern);
}

/** Private, loopback, link-local, shared, documentation, multicast and reserved ranges (RFC 6890 and friends). */
const SPECIAL = (() => {
  const b = new BlockList();
  for (const [net, bits] of [
    ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
    ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
    ['224.0.0.0', 4], ['240.0.0.0', 4],
  ] as const) b.addSubnet(net, bits, 'ipv4');
  for (const [net, bits] of [
    ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7],
    ['fe80::', 10], ['ff00::', 8],
  ] as const) b.addSubnet(net, bits, 'ipv6');
  return b;
})();

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address it carries (BlockList would map every IPv4 address into a ::ffff:0:0/96 rule). */
function unmapped(address: string): { address: string; family: 4 | 6 } {
  const m = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (m) return { address: m[1]!, family: 4 };
  const h = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (h) {
    const hi = parseInt(h[1]!, 16);
    const lo = parseInt(h[2]!, 16);
    return { address: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, family: 4 };
  }
  return { address, family: isIP(address) === 6 ? 6 : 4 };
}

export function isSpecialAddress(address: string): boolean {
  const a = unmapped(address);
  return SPECIAL.check(a.address, a.family === 4 ? 'ipv4' : 'ipv6');
}

function portMatches(p: AllowPattern, port: number): boolean {
  return p.port === undefined || p.port === port;
}

function nameMatches(p: AllowPattern, host: string): boolean {
  switch (p.kind) {
    case 'any': return true;
    case 'suffix': return host.endsWith(p.suffix) && host.length > p.suffix.length;
    case 'host': return host === p.host;
    case 'net': return false;
  }
}

function netHas(p: AllowPattern, address: string): boolean {
  if (p.kind !== 'net') return false;
  const a = unmapped(address);
  return p.list.check(a.address, a.family === 4 ? 'ipv4' : 'ipv6');
}

export class CallbackRefused extends Error {
  readonly permanent = true;
  constructor(message: string) {
    super(message);
    this.name = 'CallbackRefused';
  }
}

export type Resolver = (host: string) => Promise<Array<{ address: string; family: number }>>;
const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

/**
 * Checks a callback URL against the patterns and returns the address to connect to. Throws
 * CallbackRefused (permanent: retrying cannot help) with the reason.
 */
export async function checkDestination(
  url: URL, patterns: readonly AllowPattern[], opts: { httpsOnly: boolean; resolve?: Resolver },
): Promise<{ address: string; family: 4 | 6 }> {
  if (url.protocol !== 'https:' && (opts.httpsOnly || url.protocol !== 'http:')) {
    throw new CallbackRefused(`scheme ${url.protocol.replace(':', '')} is not allowed for callbacks${opts.httpsOnly ? ' (production mode: https only)' : ''}`);
  }
  if (url.username || url.password) throw new CallbackRefused('callback URLs must not carry credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const literal = isIP(host) !== 0;
  const byName = patterns.filter((p) => portMatches(p, port) && !literal && nameMatches(p, host));
  const addresses = literal ? [{ address: host, family: isIP(host) }] : await (opts.resolve ?? systemResolver)(host).catch((e: Error) => {
    throw Object.assign(new Error(`cannot resolve ${host}: ${e.message}`), { permanent: false });
  });
  if (!addresses.length) throw new Error(`cannot resolve ${host}`);
  const byNet = (address: string) => patterns.filter((p) => portMatches(p, port) && netHas(p, address));
  if (!byName.length && !addresses.some((a) => byNet(a.address).length)) {
    throw new CallbackRefused(`${host}:${port} is not on the callback allowlist (SEGL_CALLBACK_ALLOW or \`segl service set NAME --callback-allow\`)`);
  }
  for (const a of addresses) {
    const nets = byNet(a.address);
    const explicit = nets.length > 0 || byName.some((p) => p.kind === 'host');
    if (!nets.length && !byName.length) continue;
    if (isSpecialAddress(a.address) && !explicit) continue;
    return { address: unmapped(a.address).address, family: unmapped(a.address).family };
  }
  const special = addresses.find((a) => isSpecialAddress(a.address));
  throw new CallbackRefused(special
    ? `${host} resolves to ${special.address}, a private/loopback/link-local address; allow it by naming the host or address explicitly`
    : `${host}:${port} is not on the callback allowlist`);
}
