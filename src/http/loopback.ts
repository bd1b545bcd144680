import { isIP } from 'node:net';

/** Whether a listen address reaches only this machine. */
export function isLoopbackAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (a === 'localhost' || a === '::1') return true;
  if (isIP(a) === 4) return a.startsWith('127.');
  if (a.startsWith('::ffff:')) return a.slice(7).startsWith('127.');
  return false;
}

/**
 * Whether a request's Host header names this machine's loopback. A DNS-rebinding page reaches
 * a loopback server with its own name in Host, so this tells a local browser tab from one.
 */
export function isLoopbackHost(host: string | null): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return isLoopbackAddress(name);
}
