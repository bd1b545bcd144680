/**
 * A loopback fake of the HashiCorp Vault transit secrets engine, answering the real HTTP API
 * shapes (`/v1/<mount>/...`, `X-Vault-Token`, `X-Vault-Namespace`, `{data: {...}}` answers,
 * `{errors: [...]}` failures with Vault's own error strings), so the vault-transit plugin is
 * tested over real HTTP with global fetch.
 *
 * It really encrypts: per-version AES-256 keys, AES-256-GCM with a 96-bit nonce, `vault:vN:`
 * ciphertexts. Derived keys derive a per-context key with HKDF-SHA256 (as Vault does), so a
 * wrong `context` fails with "cipher: message authentication failed"; non-derived keys ignore
 * `context`, as Vault does, which is why the plugin refuses them.
 *
 * Not modelled: batch_input, convergent encryption, key upsert on encrypt, policies beyond a
 * single token.
 *
 *   const vault = await startFakeVault({ token: 'root-token' });
 *   vault.createKey('locksmith');               // derived=true by default
 *   env.VAULT_ADDR = vault.address; env.VAULT_TOKEN = vault.token; ...
 *   vault.rotate('locksmith');                  // -> 2
 *   await vault.close();
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultSwitch, RequestCounter } from './fault-switch';
import { createLoopbackServer } from './loopback-server';

export type VaultEndpoint = 'datakey' | 'encrypt' | 'decrypt' | 'rewrap' | 'keys' | 'rotate' | 'config' | 'other';

export interface FakeVaultOptions {
  readonly token?: string;
  readonly mount?: string;
  /** When set, requests must carry this X-Vault-Namespace (others get "no handler for route"). */
  readonly namespace?: string;
}

export interface FakeVaultRequest {
  readonly method: string;
  readonly path: string;
  readonly endpoint: VaultEndpoint;
  readonly namespace: string | undefined;
  readonly body: Record<string, unknown>;
}

interface TransitKey {
  readonly name: string;
  readonly derived: boolean;
  /** versions[0] is version 1. */
  readonly versions: Array<{ key: Buffer; createdAt: Date }>;
  minDecryptionVersion: number;
}

export interface FakeVaultServer {
  /** `http://127.0.0.1:<port>`: the value for VAULT_ADDR. */
  readonly address: string;
  readonly token: string;
  readonly mount: string;
  readonly requests: FakeVaultRequest[];
  /** X-Vault-Namespace of every request, in order (undefined when absent). */
  readonly namespacesSeen: Array<string | undefined>;

  createKey(name: string, options?: { derived?: boolean }): void;
  deleteKey(name: string): void;
  /** Adds a key version; returns the new latest version. */
  rotate(name: string): number;
  setMinDecryptionVersion(name: string, version: number): void;
  latestVersion(name: string): number;

  count(endpoint?: VaultEndpoint): number;
  resetCounters(): void;

  latencyMs: number;
  /** Next `count` matching requests get HTTP `status` (default 500) with Vault-shaped errors. */
  failNext(count: number, options?: { endpoints?: VaultEndpoint[]; status?: number; message?: string }): void;
  /** Next `count` matching requests get 429 (Vault's rate-limit quota answer). */
  throttleNext(count: number, options?: { endpoints?: VaultEndpoint[]; retryAfterSeconds?: number }): void;
  /** Next `count` matching requests get `status` with `message` (e.g. 400 "cipher: message authentication failed"). */
  errorNext(count: number, status: number, message: string, endpoints?: VaultEndpoint[]): void;
  /** Next decrypt/rewrap answers as if the wrong key (or context) was used. */
  wrongKeyNext(count: number): void;
  /** Next decrypt/rewrap answers as if the ciphertext were garbage. */
  unknownCiphertextNext(count: number): void;
  /** Next `count` matching requests: the connection is destroyed without an answer. */
  dropNext(count: number, endpoints?: VaultEndpoint[]): void;
  clearFaults(): void;

  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

class VaultError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
  ) {
    super(errors.join('; '));
  }
}

const bad = (message: string): VaultError => new VaultError(400, [message]);
const MISSING_CONTEXT =
  "missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key";

function decodeB64(value: unknown, what: string): Buffer {
  if (typeof value !== 'string') throw bad(`missing ${what}`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw bad(`failed to base64-decode ${what}`);
  return Buffer.from(value, 'base64');
}

export async function startFakeVault(options: FakeVaultOptions = {}): Promise<FakeVaultServer> {
  const token = options.token ?? `hvs.${randomBytes(18).toString('base64url')}`;
  const mount = (options.mount ?? 'transit').replace(/^\/+|\/+$/g, '');
  const keys = new Map<string, TransitKey>();
  const counts = new RequestCounter<VaultEndpoint>();
  const requests: FakeVaultRequest[] = [];
  const namespacesSeen: Array<string | undefined> = [];
  const faults = new FaultSwitch<VaultEndpoint, { status: number; errors: string[]; retryAfter?: string }>();

  function getKey(name: string): TransitKey {
    const key = keys.get(name);
    if (!key) throw bad('encryption key not found');
    return key;
  }

  function versionKey(key: TransitKey, version: number, context: Buffer | undefined): Buffer {
    const entry = key.versions[version - 1];
    if (!entry) throw bad('invalid key version');
    if (!key.derived) return entry.key; // as in Vault: context is ignored for non-derived keys
    if (!context || context.length === 0) throw bad(MISSING_CONTEXT);
    return Buffer.from(hkdfSync('sha256', entry.key, Buffer.alloc(0), context, 32));
  }

  function encrypt(key: TransitKey, plaintext: Buffer, context: Buffer | undefined): { ciphertext: string; version: number } {
    const version = key.versions.length;
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', versionKey(key, version, context), nonce);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { ciphertext: `vault:v${version}:${Buffer.concat([nonce, body]).toString('base64')}`, version };
  }

  // Error strings and their order follow Vault's keysutil Policy.Decrypt.
  function decrypt(key: TransitKey, value: unknown, context: Buffer | undefined): Buffer {
    if (typeof value !== 'string' || value === '') throw bad('missing ciphertext to decrypt');
    if (!value.startsWith('vault:v')) throw bad('invalid ciphertext: no prefix');
    const rest = value.slice('vault:v'.length);
    const colon = rest.indexOf(':');
    if (colon < 0) throw bad('invalid ciphertext: wrong number of fields');
    let version = Number(rest.slice(0, colon));
    if (!Number.isInteger(version)) throw bad('invalid ciphertext: version number could not be decoded');
    if (version === 0) version = 1;
    if (version > key.versions.length) throw bad('invalid ciphertext: version is too new');
    if (key.minDecryptionVersion > 0 && version < key.minDecryptionVersion) {
      throw bad('ciphertext or signature version is disallowed by policy (too old)');
    }
    const payload = rest.slice(colon + 1);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(payload)) throw bad('invalid ciphertext: could not decode base64');
    const blob = Buffer.from(payload, 'base64');
    if (blob.length < 12 + 16) throw bad('invalid ciphertext length');
    const derivedKey = versionKey(key, version, context);
    try {
      const decipher = createDecipheriv('aes-256-gcm', derivedKey, blob.subarray(0, 12));
      decipher.setAuthTag(blob.subarray(blob.length - 16));
      return Buffer.concat([decipher.update(blob.subarray(12, blob.length - 16)), decipher.final()]);
    } catch {
      throw bad('cipher: message authentication failed');
    }
  }

  function keyInfo(key: TransitKey): Record<string, unknown> {
    return {
      name: key.name,
      type: 'aes256-gcm96',
      derived: key.derived,
      ...(key.derived ? { kdf: 'hkdf_sha256' } : {}),
      convergent_encryption: false,
      deletion_allowed: false,
      exportable: false,
      allow_plaintext_backup: false,
      auto_rotate_period: 0,
      imported_key: false,
      keys: Object.fromEntries(key.versions.map((v, i) => [String(i + 1), Math.floor(v.createdAt.getTime() / 1000)])),
      latest_version: key.versions.length,
      min_available_version: 0,
      min_decryption_version: key.minDecryptionVersion,
      min_encryption_version: 0,
      supports_decryption: true,
      supports_derivation: true,
      supports_encryption: true,
      supports_signing: false,
    };
  }

  function contextOf(body: Record<string, unknown>): Buffer | undefined {
    return body.context === undefined || body.context === '' ? undefined : decodeB64(body.context, 'context');
  }

  function route(method: string, path: string, body: Record<string, unknown>): Record<string, unknown> | null {
    const parts = path.split('/');
    const [op, a, b] = parts;
    if (op === 'keys' && a && parts.length === 2) {
      if (method === 'GET') {
        const key = keys.get(a);
        if (!key) throw new VaultError(404, []);
        return keyInfo(key);
      }
      if (method === 'POST' || method === 'PUT') {
        if (!keys.has(a)) server.createKey(a, { derived: body.derived === true });
        return null;
      }
    }
    if (op === 'keys' && a && b === 'rotate' && parts.length === 3 && method !== 'GET') {
      server.rotate(a);
      return keyInfo(getKey(a));
    }
    if (op === 'keys' && a && b === 'config' && parts.length === 3 && method !== 'GET') {
      if (body.min_decryption_version !== undefined) server.setMinDecryptionVersion(a, Number(body.min_decryption_version));
      return keyInfo(getKey(a));
    }
    if (method !== 'POST' && method !== 'PUT') throw new VaultError(405, ['unsupported operation']);
    if (op === 'datakey' && (a === 'plaintext' || a === 'wrapped') && b && parts.length === 3) {
      const key = getKey(b);
      const bits = body.bits === undefined ? 256 : Number(body.bits);
      if (![128, 256, 512].includes(bits)) throw bad('invalid bit length');
      const plaintext = randomBytes(bits / 8);
      const { ciphertext, version } = encrypt(key, plaintext, contextOf(body));
      return a === 'plaintext'
        ? { plaintext: plaintext.toString('base64'), ciphertext, key_version: version }
        : { ciphertext, key_version: version };
    }
    if (op === 'encrypt' && a && parts.length === 2) {
      const key = getKey(a);
      const { ciphertext, version } = encrypt(key, decodeB64(body.plaintext, 'plaintext'), contextOf(body));
      return { ciphertext, key_version: version };
    }
    if (op === 'decrypt' && a && parts.length === 2) {
      const key = getKey(a);
      return { plaintext: decrypt(key, body.ciphertext, contextOf(body)).toString('base64') };
    }
    if (op === 'rewrap' && a && parts.length === 2) {
      const key = getKey(a);
      const context = contextOf(body);
      const plaintext = decrypt(key, body.ciphertext, context);
      const { ciphertext, version } = encrypt(key, plaintext, context);
      return { ciphertext, key_version: version };
    }
    throw new VaultError(405, ['unsupported path']);
  }

  function endpointOf(path: string): VaultEndpoint {
    const parts = path.split('/');
    if (parts[0] === 'keys') return parts[2] === 'rotate' ? 'rotate' : parts[2] === 'config' ? 'config' : 'keys';
    if (parts[0] === 'datakey' || parts[0] === 'encrypt' || parts[0] === 'decrypt' || parts[0] === 'rewrap') return parts[0];
    return 'other';
  }

  function respond(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
    const send = (): void => {
      if (res.destroyed || res.writableEnded) return;
      if (status === 204) {
        res.writeHead(204, headers);
        res.end();
        return;
      }
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(payload));
    };
    loopback.later(server.latencyMs, send);
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const namespace = req.headers['x-vault-namespace'] as string | undefined;
    namespacesSeen.push(namespace);
    const full = url.pathname.replace(/^\/v1\//, '');
    const inMount = url.pathname.startsWith('/v1/') && full.startsWith(`${mount}/`);
    const path = inMount ? full.slice(mount.length + 1) : full;
    const endpoint = inMount ? endpointOf(path) : 'other';
    counts.record(endpoint);
    let body: Record<string, unknown> = {};
    try {
      body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      respond(res, 400, { errors: ['failed to parse JSON input'] });
      return;
    }
    requests.push({ method, path: url.pathname, endpoint, namespace, body });

    const fault = faults.take(endpoint);
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault) {
      respond(res, fault.status, { errors: fault.errors }, fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {});
      return;
    }
    if (req.headers['x-vault-token'] !== token) {
      respond(res, 403, { errors: ['permission denied'] });
      return;
    }
    if (!inMount || (options.namespace !== undefined && namespace?.replace(/\/+$/, '') !== options.namespace)) {
      respond(res, 404, { errors: [`no handler for route "${full}". route entry not found.`] });
      return;
    }
    try {
      const data = route(method, path, body);
      if (data === null) respond(res, 204, undefined);
      else {
        respond(res, 200, {
          request_id: randomUUID(),
          lease_id: '',
          renewable: false,
          lease_duration: 0,
          data,
          wrap_info: null,
          warnings: null,
          auth: null,
        });
      }
    } catch (error) {
      if (error instanceof VaultError) respond(res, error.status, { errors: error.errors });
      else respond(res, 500, { errors: ['1 error occurred:\n\t* internal error in fake\n\n'] });
    }
  }

  const loopback = createLoopbackServer(handle);

  const addFault = faults.add.bind(faults);

  const server: FakeVaultServer = {
    get address() {
      return loopback.url;
    },
    token,
    mount,
    requests,
    namespacesSeen,
    createKey(name, opts = {}) {
      if (keys.has(name)) throw new Error(`transit key ${name} exists`);
      keys.set(name, { name, derived: opts.derived ?? true, versions: [{ key: randomBytes(32), createdAt: new Date() }], minDecryptionVersion: 1 });
    },
    deleteKey(name) {
      keys.delete(name);
    },
    rotate(name) {
      const key = keys.get(name);
      if (!key) throw new Error(`no transit key ${name}`);
      key.versions.push({ key: randomBytes(32), createdAt: new Date() });
      return key.versions.length;
    },
    setMinDecryptionVersion(name, version) {
      const key = keys.get(name);
      if (!key) throw new Error(`no transit key ${name}`);
      key.minDecryptionVersion = version;
    },
    latestVersion(name) {
      return keys.get(name)?.versions.length ?? 0;
    },
    count: (endpoint) => counts.count(endpoint),
    resetCounters() {
      counts.reset();
      requests.length = 0;
      namespacesSeen.length = 0;
    },
    latencyMs: 0,
    failNext(count, opts = {}) {
      const status = opts.status ?? 500;
      addFault(count, opts.endpoints, { kind: 'error', status, errors: [opts.message ?? (status === 503 ? 'Vault is sealed' : 'internal error')] });
    },
    throttleNext(count, opts = {}) {
      addFault(count, opts.endpoints, {
        kind: 'error',
        status: 429,
        errors: ['request path "transit/...": rate limit quota exceeded'],
        ...(opts.retryAfterSeconds !== undefined ? { retryAfter: String(opts.retryAfterSeconds) } : {}),
      });
    },
    errorNext(count, status, message, endpoints) {
      addFault(count, endpoints, { kind: 'error', status, errors: [message] });
    },
    wrongKeyNext(count) {
      addFault(count, ['decrypt', 'rewrap'], { kind: 'error', status: 400, errors: ['cipher: message authentication failed'] });
    },
    unknownCiphertextNext(count) {
      addFault(count, ['decrypt', 'rewrap'], { kind: 'error', status: 400, errors: ['invalid ciphertext: no prefix'] });
    },
    dropNext(count, endpoints) {
      addFault(count, endpoints, { kind: 'drop' });
    },
    clearFaults() {
      faults.clear();
      server.latencyMs = 0;
    },
    stop: loopback.stop,
    start: loopback.start,
    close: loopback.stop,
  };

  await loopback.start();
  return server;
}
