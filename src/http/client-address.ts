import { isIP } from 'node:net';

/**
 * The client's address for rate limiting. The socket's peer, unless the operator says a proxy
 * sits in front (LOCKSMITH_TRUST_PROXY): then the right-most X-Forwarded-For entry, the one
 * that proxy appended (entries to its left are whatever the client sent, so never trusted).
 * In-process calls (yoga.fetch in tests and tools) have no socket and share one bucket.
 */
export function clientAddress(forwardedFor: string | null | undefined, peer: string | undefined, trustProxy: boolean): string {
  if (trustProxy) {
    const last = forwardedFor?.split(',').map((s) => s.trim()).filter(Boolean).pop();
    if (last && isIP(stripPort(last))) return normalize(stripPort(last));
  }
  return peer ? normalize(peer) : 'in-process';
}

/** The peer address of yoga's server context (the node request's socket), if there is one. */
export function peerOf(serverContext: unknown): string | undefined {
  return (serverContext as { req?: { socket?: { remoteAddress?: string } } } | undefined)?.req?.socket?.remoteAddress;
}

function stripPort(value: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return bracketed[1]!;
  const v4WithPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(value);
  return v4WithPort ? v4WithPort[1]! : value;
}

/** IPv4-mapped IPv6 (::ffff:1.2.3.4) is the same client as 1.2.3.4. */
function normalize(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address.toLowerCase();
}
