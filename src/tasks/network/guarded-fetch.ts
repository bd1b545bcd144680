import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { type AddressPolicy, type AddressVerdict, parseAddress } from './address-policy';

/**
 * The only way a task's requests leave the process. For each request: resolve the host once,
 * judge every address it resolved to, and connect to the judged address (the socket's lookup
 * is pinned to it), so a name cannot pass the check and then resolve somewhere else for the
 * connection (DNS rebinding). Literal addresses are judged in canonical form whatever their
 * spelling. Redirects are never followed (the caller reads 3xx as a response), so a public
 * host cannot bounce a request inward. A refusal happens before any socket is opened.
 */

export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Code a caller can branch on (errors cross worker and realm boundaries; never use instanceof). */
export const NETWORK_POLICY_CODE = 'TASK_NETWORK_POLICY';

export class NetworkPolicyError extends Error {
  override readonly name = 'NetworkPolicyError';
  readonly code = NETWORK_POLICY_CODE;
}

export interface GuardedFetchOptions {
  readonly addresses: AddressPolicy;
  /** Injected in tests (a name that resolves to loopback); the system resolver otherwise. */
  readonly resolve?: Resolver;
}

export type GuardedFetch = (url: string, init?: RequestInit) => Promise<Response>;

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

export function createGuardedFetch(options: GuardedFetchOptions): GuardedFetch {
  const resolve = options.resolve ?? systemResolver;

  async function target(url: URL): Promise<{ verdict: AddressVerdict; literal: boolean }> {
    const literal = parseAddress(url.hostname);
    if (literal !== null) return { verdict: options.addresses.judge(literal), literal: true };
    let found: readonly ResolvedAddress[];
    try {
      found = await resolve(url.hostname);
    } catch (err) {
      // Not a refusal: the name does not resolve (a network error like any other).
      const code = (err as { code?: unknown } | null)?.code;
      throw Object.assign(new Error(`could not resolve ${url.hostname}${typeof code === 'string' ? ` (${code})` : ''}`), { code: 'ENOTFOUND' });
    }
    if (found.length === 0) throw Object.assign(new Error(`could not resolve ${url.hostname}`), { code: 'ENOTFOUND' });
    // Every address must pass: with several A/AAAA records the platform may pick any of them.
    const verdicts = found.map((a) => {
      const parsed = parseAddress(a.address);
      if (parsed === null) throw new NetworkPolicyError(`${url.hostname} resolved to something that is not an address`);
      return options.addresses.judge(parsed);
    });
    const refused = verdicts.find((v) => !v.allowed);
    return { verdict: refused ?? verdicts[0]!, literal: false };
  }

  return async function guardedFetch(input: string, init: RequestInit = {}): Promise<Response> {
    const url = new URL(input);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new NetworkPolicyError(`only http and https requests are allowed, not ${url.protocol}`);
    }
    const { verdict, literal } = await target(url);
    if (!verdict.allowed) {
      throw new NetworkPolicyError(
        `${url.hostname} is a ${describeRange(verdict.range)} address (${verdict.address}); the server's network policy refuses it`,
      );
    }
    const pinned: LookupFunction = (_host, opts, callback) => {
      if ((opts as { all?: boolean }).all) (callback as (e: null, a: ResolvedAddress[]) => void)(null, [{ address: verdict.address, family: verdict.family }]);
      else callback(null, verdict.address, verdict.family);
    };
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    const body = init.body === undefined || init.body === null ? undefined : String(init.body);
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Response>((resolvePromise, reject) => {
      const req = send(
        {
          protocol: url.protocol,
          // A literal connects to its canonical form; a name keeps its name for Host and TLS
          // (certificate and SNI) while the socket goes to the pinned address.
          hostname: literal ? verdict.address : url.hostname,
          port: url.port === '' ? undefined : Number(url.port),
          path: `${url.pathname}${url.search}`,
          method: init.method ?? 'GET',
          headers,
          lookup: pinned,
          agent: false,
          signal: init.signal ?? undefined,
        },
        (res) => {
          try {
            resolvePromise(toResponse(res));
          } catch (err) {
            reject(err);
          }
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };
}

function toResponse(res: IncomingMessage): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 599) {
    res.destroy();
    throw new NetworkPolicyError(`the server answered with an unusable HTTP status ${status}`);
  }
  if (NULL_BODY_STATUS.has(status)) {
    res.resume();
    return new Response(null, { status, headers });
  }
  return new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, { status, headers });
}

const RANGE_WORDS: Record<string, string> = {
  loopback: 'loopback',
  private: 'private',
  carrierGradeNat: 'private (100.64.0.0/10)',
  uniqueLocal: 'private (fc00::/7)',
  linkLocal: 'link-local',
  unspecified: 'unspecified',
  multicast: 'multicast',
  broadcast: 'broadcast',
  ipv4Mapped: 'IPv4-mapped',
  ipv4Compatible: 'IPv4-compatible',
  reserved: 'reserved',
};

function describeRange(range: string): string {
  return RANGE_WORDS[range] ?? `non-public (${range})`;
}
