import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * What a "client" is for the rate limits: the address the request came from. An IPv6 client is its
 * /56 (IPV6_CLIENT_PREFIX): a home or office line is delegated a /56 (or a /48) by its provider, so
 * counting /64s would give one line 256 budgets and single addresses billions; an IPv4-mapped IPv6
 * address is the IPv4 address. Behind a reverse proxy every request comes from the proxy: list it in
 * `trustProxy`, and the client is then the right-most address of `X-Forwarded-For` that is not itself
 * a trusted proxy (each proxy appends the address it saw, so entries left of that are the client's
 * own words and are ignored). An entry may carry a port, as some proxies write it (`192.0.2.1:5123`,
 * `[2001:db8::1]:5123`); the port is not part of the client. Without `trustProxy`,
 * `X-Forwarded-For` is never read.
 */

/** The prefix length that makes one IPv6 client (see above and docs/install.md). */
export const IPV6_CLIENT_PREFIX = 56;

export interface ClientAddressOptions {
  /** Proxies whose `X-Forwarded-For` is believed: addresses or CIDR ranges (`10.0.0.0/8`, `::1`). */
  trustProxy?: readonly string[];
}

export type ClientOf = (req: IncomingMessage) => string;

function blockListOf(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits, ...rest] = entry.trim().split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) throw new RangeError(`trustProxy: not an address or CIDR range: ${entry}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const prefix = Number(bits);
    if (!/^\d{1,3}$/.test(bits) || prefix > (family === 4 ? 32 : 128))
      throw new RangeError(`trustProxy: not a prefix length: ${entry}`);
    list.addSubnet(address, prefix, type);
  }
  return list;
}

const MAPPED_IPV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** The eight groups of an IPv6 address (without a zone), as numbers. */
function ipv6Groups(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const part = (text: string): string[] => (text === '' ? [] : text.split(':'));
  const expand = (groups: string[]): string[] => {
    const last = groups.at(-1);
    if (last === undefined || !last.includes('.')) return groups;
    // An embedded IPv4 address makes the last two groups.
    const [a = 0, b = 0, c = 0, d = 0] = last.split('.').map(Number);
    return [...groups.slice(0, -1), ((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
  };
  const left = expand(part(head));
  const right = tail === undefined ? [] : expand(part(tail));
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => Number.parseInt(g, 16));
}

/** The rate limits' key for an address: `4:a.b.c.d`, or `6:` and its /56 (IPV6_CLIENT_PREFIX). */
export function clientKeyOf(address: string): string {
  const plain = address.split('%')[0] ?? address;
  const mapped = MAPPED_IPV4.exec(plain);
  if (mapped?.[1] !== undefined) return `4:${mapped[1]}`;
  const family = isIP(plain);
  if (family === 4) return `4:${plain}`;
  if (family === 6) {
    const [a = 0, b = 0, c = 0, d = 0] = ipv6Groups(plain);
    return `6:${[a, b, c, d & 0xff00].map((g) => g.toString(16)).join(':')}::/${IPV6_CLIENT_PREFIX}`;
  }
  return `?:${plain.slice(0, 64)}`;
}

const BRACKETED = /^\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?$/;
const IPV4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;

/** An X-Forwarded-For entry without its port: `a.b.c.d:port`, `[v6]:port` and `[v6]` name an address. */
export function forwardedAddressOf(entry: string): string {
  const trimmed = entry.trim();
  const bracketed = BRACKETED.exec(trimmed);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  const v4 = IPV4_WITH_PORT.exec(trimmed);
  if (v4?.[1] !== undefined) return v4[1];
  return trimmed;
}

function familyOf(address: string): 'ipv4' | 'ipv6' | undefined {
  const family = isIP(address);
  return family === 4 ? 'ipv4' : family === 6 ? 'ipv6' : undefined;
}

export function createClientAddress(options: ClientAddressOptions = {}): ClientOf {
  const trusted =
    options.trustProxy === undefined || options.trustProxy.length === 0 ? undefined : blockListOf(options.trustProxy);
  const isTrusted = (address: string): boolean => {
    const type = familyOf(address);
    return trusted !== undefined && type !== undefined && trusted.check(address, type);
  };
  return (req) => {
    const remote = (req.socket.remoteAddress ?? '').replace(MAPPED_IPV4, '$1');
    if (!isTrusted(remote)) return clientKeyOf(remote);
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((h) => forwardedAddressOf(h).replace(MAPPED_IPV4, '$1'))
      .filter((h) => h !== '');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      // A malformed entry is where believing stops: the proxy itself is then the client.
      if (familyOf(hop) === undefined) return clientKeyOf(remote);
      if (!isTrusted(hop)) return clientKeyOf(hop);
    }
    return clientKeyOf(hops[0] ?? remote);
  };
}
