import ipaddr from 'ipaddr.js';

/**
 * Which addresses a task may connect to. Only globally routable unicast addresses are
 * allowed by default: loopback, private (RFC 1918, 100.64/10, fc00::/7), link-local,
 * unspecified, multicast, broadcast, reserved and every IPv6 form that embeds an IPv4
 * address (mapped, compatible, NAT64, 6to4, Teredo) are refused unless an operator lists
 * them in LOCKSMITH_TASK_ALLOWED_NETWORKS. The classification is ipaddr.js's range table;
 * nothing here does CIDR arithmetic by hand.
 */

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;
export type Cidr = [IpAddress, number];

export class NetworkListError extends Error {
  override readonly name = 'NetworkListError';
}

/** `127.0.0.0/8,10.0.0.0/8,::1/128`; a bare address counts as a single-address network. */
export function parseNetworks(list: string | readonly string[]): Cidr[] {
  const items = (typeof list === 'string' ? list.split(',') : list).map((s) => s.trim()).filter((s) => s !== '');
  return items.map((item) => {
    try {
      if (item.includes('/')) {
        const [addr, bits] = ipaddr.parseCIDR(item);
        return [normalize(addr), addr.kind() === 'ipv6' && normalize(addr).kind() === 'ipv4' ? Math.max(0, bits - 96) : bits] as Cidr;
      }
      const addr = normalize(ipaddr.parse(item));
      return [addr, addr.kind() === 'ipv4' ? 32 : 128] as Cidr;
    } catch {
      throw new NetworkListError(`'${item}' is not a network in CIDR notation (e.g. 10.0.0.0/8)`);
    }
  });
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address for every decision below. */
function normalize(addr: IpAddress): IpAddress {
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) return (addr as ipaddr.IPv6).toIPv4Address();
  return addr;
}

/**
 * Parses an address literal in any spelling the platform would connect to: dotted quads,
 * `127.1`, `2130706433`, `0x7f000001`, `0177.0.0.1`, bracketed or zoned IPv6. Returns
 * null when `host` is a name, not an address.
 */
export function parseAddress(host: string): IpAddress | null {
  let h = host.trim();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const zone = h.indexOf('%');
  if (zone >= 0 && h.includes(':')) h = h.slice(0, zone);
  if (ipaddr.IPv6.isValid(h)) return normalize(ipaddr.IPv6.parse(h));
  // ipaddr.IPv4.isValid accepts the shorthand, decimal, octal and hex forms inet_aton does.
  if (ipaddr.IPv4.isValid(h)) return ipaddr.IPv4.parse(h);
  return null;
}

export interface AddressVerdict {
  readonly allowed: boolean;
  /** The canonical address that was judged (and the one to connect to). */
  readonly address: string;
  readonly family: 4 | 6;
  /** ipaddr.js's range name, e.g. loopback, private, linkLocal, unicast. */
  readonly range: string;
}

export class AddressPolicy {
  private readonly networks: Cidr[];

  constructor(allowedNetworks: readonly Cidr[] = []) {
    this.networks = [...allowedNetworks];
  }

  judge(address: IpAddress): AddressVerdict {
    const addr = normalize(address);
    // ::a.b.c.d (IPv4-compatible, deprecated since RFC 4291) is "unicast" to ipaddr.js, but
    // some stacks route it to the IPv4 address: refuse the whole ::/96 block outside :: and ::1.
    const compatible = addr.kind() === 'ipv6' && addr.match(ipaddr.IPv6.parse('::'), 96);
    const range = compatible && !['unspecified', 'loopback'].includes(addr.range()) ? 'ipv4Compatible' : addr.range();
    const family = addr.kind() === 'ipv4' ? 4 : 6;
    const listed = this.networks.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
    return { allowed: range === 'unicast' || listed, address: addr.toString(), family, range };
  }
}
