// Where callbacks may go. The URL's host is checked against the allowlist patterns (the
// deployment's SEGL_CALLBACK_ALLOW and the service's own) BEFORE any name resolution: a name that no
// pattern names is refused without DNS, so a refusal never depends on (or leaks to) a resolver. A name
// that passes is resolved, and an address in a loopback, private, link-local or other special range is
// used only when a pattern names that address or a range INSIDE the special one as an IP or CIDR
// (`127.0.0.1`, `10.0.0.0/8`): `*`, `*.domain`, a host name, `0.0.0.0/0` or `::/0` never open internal
// networks, so a DNS answer alone can never point a callback inside. The address checked is the one
// connected to (callback.ts pins it).
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { PermanentDeliveryError } from './errors';

/**
 * One allowlist entry: `host`, `host:port`, `*.domain[:port]`, `*` / `*:port`, an IP, `[v6]:port`, or a
 * CIDR. `inside` (nets only): the whole net lies in one special range, so it may open addresses there.
 */
export type AllowPattern =
  | { kind: 'any'; port?: number; text: string }
  | { kind: 'suffix'; suffix: string; port?: number; text: string }
  | { kind: 'host'; host: string; port?: number; text: string }
  | { kind: 'net'; list: BlockList; port?: number; text: string; inside: boolean };

const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

function splitPort(s: string): { host: string; port?: number } {
  const v6 = /^\[([0-9a-f:.]+)\](?::(\d+))?$/i.exec(s);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : undefined };
  const m = /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m) return { host: s };
  return { host: m[1]!, port: m[2] ? Number(m[2]) : undefined };
}

/** Special-purpose ranges (RFC 6890 and friends): none of them is opened by a wildcard or a name. */
const SPECIAL_RANGES: ReadonlyArray<{ net: string; bits: number; family: 4 | 6; list: BlockList }> = (
  [
    ['0.0.0.0', 8, 4], // "this network", including the unspecified 0.0.0.0
    ['10.0.0.0', 8, 4],
    ['172.16.0.0', 12, 4],
    ['192.168.0.0', 16, 4], // RFC 1918 private
    ['100.64.0.0', 10, 4], // shared address space (CGNAT)
    ['127.0.0.0', 8, 4], // loopback
    ['169.254.0.0', 16, 4], // link-local (cloud metadata services live here)
    ['192.0.0.0', 24, 4],
    ['192.0.2.0', 24, 4],
    ['192.88.99.0', 24, 4],
    ['198.18.0.0', 15, 4],
    ['198.51.100.0', 24, 4],
    ['203.0.113.0', 24, 4],
    ['224.0.0.0', 4, 4], // multicast
    ['240.0.0.0', 4, 4], // reserved and broadcast
    ['::', 96, 6], // unspecified (::), loopback (::1) and the deprecated IPv4-compatible ::a.b.c.d
    ['::ffff:0:0:0', 96, 6], // IPv4-translated (RFC 2765); IPv4-mapped ::ffff:a.b.c.d is judged as its IPv4 address
    ['64:ff9b::', 96, 6],
    ['64:ff9b:1::', 48, 6], // NAT64
    ['100::', 64, 6], // discard
    ['2001::', 23, 6], // IETF protocol assignments (Teredo, ORCHID, …)
    ['2001:db8::', 32, 6], // documentation
    ['2002::', 16, 6], // 6to4
    ['fc00::', 7, 6], // unique local
    ['fe80::', 10, 6],
    ['fec0::', 10, 6], // link-local, old site-local
    ['ff00::', 8, 6], // multicast
  ] as const
).map(([net, bits, family]) => {
  const list = new BlockList();
  list.addSubnet(net, bits, family === 4 ? 'ipv4' : 'ipv6');
  return { net, bits, family, list };
});

const SPECIAL = (() => {
  const b = new BlockList();
  for (const r of SPECIAL_RANGES) b.addSubnet(r.net, r.bits, r.family === 4 ? 'ipv4' : 'ipv6');
  return b;
})();

/**
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address it carries
 * (BlockList would map every IPv4 address into a ::ffff:0:0/96 rule).
 */
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

const fam = (f: 4 | 6) => (f === 4 ? 'ipv4' : 'ipv6');

export function isSpecialAddress(address: string): boolean {
  const a = unmapped(address);
  return SPECIAL.check(a.address, fam(a.family));
}

/** A net pattern: an IPv4-mapped one is taken as the IPv4 net it carries; `inside` as for AllowPattern. */
function netPattern(address: string, bits: number | undefined, port: number | undefined, text: string): AllowPattern {
  const u = unmapped(address);
  let net: { address: string; family: 4 | 6; bits: number } = { ...u, bits: bits ?? (u.family === 4 ? 32 : 128) };
  if (u.family === 4 && isIP(address) === 6) {
    // ::ffff:a.b.c.d[/n]: the IPv4 net a.b.c.d/(n-96); wider ones stay IPv6
    net = bits === undefined ? { ...u, bits: 32 } : bits >= 96 ? { ...u, bits: bits - 96 } : { address, family: 6, bits };
  }
  const list = new BlockList();
  list.addSubnet(net.address, net.bits, fam(net.family));
  const inside = SPECIAL_RANGES.some((r) => r.family === net.family && net.bits >= r.bits && r.list.check(net.address, fam(net.family)));
  return { kind: 'net', list, port, text, inside };
}

/** Parses one pattern; throws naming it when it is not one of the accepted forms. */
export function parseAllowPattern(raw: string): AllowPattern {
  const text = raw.trim().toLowerCase();
  const bad = () =>
    new Error(
      `"${raw.trim()}" is not an allowlist pattern (host, host:port, *.domain, *.domain:port, *, an IP address or a CIDR such as 10.0.0.0/8)`,
    );
  const cidr = /^([0-9a-f:.]+)\/(\d{1,3})$/.exec(text);
  if (cidr) {
    const family = isIP(cidr[1]!);
    const bits = Number(cidr[2]);
    if (!family || bits > (family === 4 ? 32 : 128)) throw bad();
    return netPattern(cidr[1]!, bits, undefined, text);
  }
  const { host, port } = splitPort(text);
  if (port !== undefined && (port < 1 || port > 65535)) throw bad();
  if (host === '*') return { kind: 'any', port, text };
  if (isIP(host)) return netPattern(host, undefined, port, text);
  if (host.startsWith('*.') && HOST.test(host.slice(2))) return { kind: 'suffix', suffix: host.slice(1), port, text };
  if (HOST.test(host)) return { kind: 'host', host, port, text };
  throw bad();
}

/** A comma-separated list (SEGL_CALLBACK_ALLOW, `segl service set --callback-allow`). */
export function parseAllowPatterns(s: string): AllowPattern[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map(parseAllowPattern);
}

function portMatches(p: AllowPattern, port: number): boolean {
  return p.port === undefined || p.port === port;
}

/** Whether a name pattern names `host` (nets never name a host: an address is only known after DNS). */
function nameMatches(p: AllowPattern, host: string): boolean {
  switch (p.kind) {
    case 'any':
      return true;
    case 'suffix':
      return host.endsWith(p.suffix) && host.length > p.suffix.length;
    case 'host':
      return host === p.host;
    case 'net':
      return false;
  }
}

function netHas(p: AllowPattern, address: string): boolean {
  if (p.kind !== 'net') return false;
  const a = unmapped(address);
  return p.list.check(a.address, fam(a.family));
}

export class CallbackRefused extends PermanentDeliveryError {
  constructor(message: string) {
    super(message);
    this.name = 'CallbackRefused';
  }
}

export type Resolver = (host: string) => Promise<Array<{ address: string; family: number }>>;
const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

/** How long a name may take to resolve; then the attempt fails as temporary (retried). */
export const RESOLVE_TIMEOUT_MS = 10_000;

const NOT_LISTED = '(SEGL_CALLBACK_ALLOW or `segl service set NAME --callback-allow`)';
const INSIDE_HINT =
  'allow it by listing that address, or a range inside the private one, as an IP or CIDR (e.g. 10.0.0.5 or 10.0.0.0/8); wildcards, host names and 0.0.0.0/0 never open private ranges';

/**
 * Checks a callback URL against the patterns and returns the address to connect to. Throws
 * CallbackRefused (permanent: retrying cannot help) with the reason; a name no pattern names is
 * refused before any resolution. A failing resolution is a temporary error (retried).
 */
export async function checkDestination(
  url: URL,
  patterns: readonly AllowPattern[],
  opts: { httpsOnly: boolean; resolve?: Resolver; resolveTimeoutMs?: number },
): Promise<{ address: string; family: 4 | 6 }> {
  if (url.protocol !== 'https:' && (opts.httpsOnly || url.protocol !== 'http:')) {
    throw new CallbackRefused(
      `scheme ${url.protocol.replace(':', '')} is not allowed for callbacks${opts.httpsOnly ? ' (production mode: https only)' : ''}`,
    );
  }
  if (url.username || url.password) throw new CallbackRefused('callback URLs must not carry credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const nets = patterns.filter((p) => p.kind === 'net' && portMatches(p, port));
  // an address in a special range needs a net pattern inside that range; a public one any match
  const usable = (address: string) => !isSpecialAddress(address) || nets.some((p) => p.kind === 'net' && p.inside && netHas(p, address));
  const pin = (address: string) => unmapped(address);

  if (isIP(host)) {
    if (!nets.some((p) => netHas(p, host))) throw new CallbackRefused(`${host}:${port} is not on the callback allowlist ${NOT_LISTED}`);
    if (!usable(host)) throw new CallbackRefused(`${host} is a private/loopback/link-local address; ${INSIDE_HINT}`);
    return pin(host);
  }
  if (!patterns.some((p) => portMatches(p, port) && nameMatches(p, host))) {
    throw new CallbackRefused(`${host}:${port} is not on the callback allowlist ${NOT_LISTED}`);
  }
  // bounded: a resolver that never answers would otherwise hold a worker slot for good
  const limit = opts.resolveTimeoutMs ?? RESOLVE_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const addresses = await Promise.race([
    (opts.resolve ?? systemResolver)(host),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${limit} ms`)), limit);
    }),
  ])
    .catch((e: Error) => {
      throw Object.assign(new Error(`cannot resolve ${host}: ${e.message}`), { permanent: false });
    })
    .finally(() => clearTimeout(timer));
  if (!addresses.length) throw new Error(`cannot resolve ${host}`);
  const ok = addresses.find((a) => usable(a.address));
  if (ok) return pin(ok.address);
  throw new CallbackRefused(`${host} resolves to ${addresses[0]!.address}, a private/loopback/link-local address; ${INSIDE_HINT}`);
}
