/**
 * `vault-transit` key provider: the root key is a HashiCorp Vault (or OpenBao) transit key.
 * Data keys come from `datakey/plaintext`, unwrap with `decrypt`, rewrap with `rewrap` (the data
 * key never leaves Vault in plaintext during a rewrap), existing material is wrapped with `encrypt`.
 *
 * Settings:
 *   VAULT_ADDR                 e.g. https://vault.internal:8200 (required)
 *   VAULT_TOKEN                token (required; its policy needs update on transit/datakey/plaintext/<key>,
 *                              transit/encrypt|decrypt|rewrap/<key> and read on transit/keys/<key>)
 *   VAULT_NAMESPACE            Vault Enterprise / HCP namespace, sent as X-Vault-Namespace
 *   LOCKSMITH_TRANSIT_MOUNT    mount path of the transit engine (default `transit`)
 *   LOCKSMITH_TRANSIT_KEY      transit key name (required)
 *   LOCKSMITH_VAULT_TIMEOUT_MS per-attempt timeout (default 5000)
 *   LOCKSMITH_VAULT_MAX_ATTEMPTS total attempts on 429/5xx/network errors (default 3)
 *   LOCKSMITH_VAULT_RETRY_BASE_MS first backoff delay, doubled per retry, jittered (default 100)
 *   LOCKSMITH_TRANSIT_KEY_INFO_TTL_MS how long the key's latest_version is trusted (default 30000)
 *
 * Context binding uses key derivation, not `associated_data`: the transit key must be created
 * with `derived=true` (`vault write transit/keys/locksmith type=aes256-gcm96 derived=true`).
 * Every call then sends `context` = base64(encodeEncryptionContext(ctx)) and Vault derives a
 * per-(developer, data key) key from it (HKDF), so a wrapped key moved to another row fails with
 * "cipher: message authentication failed". Derived keys work on every Vault and OpenBao version
 * and on all of datakey/encrypt/decrypt/rewrap, whereas associated_data is newer and not accepted
 * everywhere. A non-derived key silently IGNORES `context`, so this provider refuses to use one
 * (MISCONFIGURED) instead of quietly losing the binding.
 *
 * keyRef is `<key>:v<N>`; the stored ciphertext is the `vault:vN:...` string as UTF-8 bytes.
 * Rotation: `vault write -f transit/keys/<key>/rotate`, then `locksmith keys rewrap`. Old data
 * keys unwrap until min_decryption_version passes them. Unwrap uses the key named in keyRef, so
 * pointing LOCKSMITH_TRANSIT_KEY at a new key also works: rewrap moves data keys across.
 */
import {
  type EncryptionContext,
  encodeEncryptionContext,
  type GeneratedDataKey,
  type KeyProvider,
  KeyProviderError,
  type KeyProviderLogger,
  type KeyProviderOptions,
  type WrappedKey,
} from '../../src/crypto/key-provider';
import { readIntSetting, requireSetting, type RetryPolicy, scrubVendorMessage, withRetry } from '../shared/retry';

const PROVIDER = 'vault-transit';
const DATA_KEY_BYTES = 32;
const MAX_CIPHERTEXT_CHARS = 4096;
const NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const MOUNT = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const CIPHERTEXT = /^vault:v(\d{1,9}):[A-Za-z0-9+/]+={0,2}$/;
const KEY_REF = /^([A-Za-z0-9_.-]{1,128}):v(\d{1,9})$/;
/** Header values must be visible ASCII: fetch would otherwise throw an error that quotes the value. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;
const RETRYABLE_STATUS = new Set([412, 429, 500, 502, 503, 504]);

/** `.`/`..` would be normalised away by URL parsing and address another Vault path. */
function isDotSegment(segment: string): boolean {
  return segment === '.' || segment === '..';
}

function isKeyName(name: string): boolean {
  return NAME.test(name) && !isDotSegment(name);
}

export interface VaultTransitSettings {
  readonly address: string;
  readonly token: string;
  readonly namespace: string | undefined;
  readonly mount: string;
  readonly key: string;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly keyInfoTtlMs: number;
}

export function readVaultTransitSettings(env: KeyProviderOptions['env']): VaultTransitSettings {
  const rawAddress = requireSetting(env, 'VAULT_ADDR', 'the Vault server URL, e.g. https://vault.internal:8200');
  let address: URL;
  try {
    address = new URL(rawAddress);
  } catch {
    throw new KeyProviderError('MISCONFIGURED', 'VAULT_ADDR is not a valid URL');
  }
  if (address.protocol !== 'http:' && address.protocol !== 'https:') {
    throw new KeyProviderError('MISCONFIGURED', 'VAULT_ADDR must be an http:// or https:// URL');
  }
  if (address.username || address.password) throw new KeyProviderError('MISCONFIGURED', 'VAULT_ADDR must not carry credentials');
  const token = requireSetting(env, 'VAULT_TOKEN', 'a Vault token allowed to use the transit key');
  if (!HEADER_SAFE.test(token)) throw new KeyProviderError('MISCONFIGURED', 'VAULT_TOKEN contains characters not allowed in an HTTP header');
  const namespace = env.VAULT_NAMESPACE?.trim() || undefined;
  if (namespace !== undefined && !HEADER_SAFE.test(namespace)) {
    throw new KeyProviderError('MISCONFIGURED', 'VAULT_NAMESPACE contains characters not allowed in an HTTP header');
  }
  const mount = (env.LOCKSMITH_TRANSIT_MOUNT?.trim() || 'transit').replace(/^\/+|\/+$/g, '');
  if (!MOUNT.test(mount) || mount.split('/').some(isDotSegment)) {
    throw new KeyProviderError('MISCONFIGURED', `LOCKSMITH_TRANSIT_MOUNT must match ${MOUNT} without . or .. segments`);
  }
  const key = requireSetting(env, 'LOCKSMITH_TRANSIT_KEY', 'the name of a derived transit key');
  if (!isKeyName(key)) throw new KeyProviderError('MISCONFIGURED', `LOCKSMITH_TRANSIT_KEY must match ${NAME} and not be . or ..`);
  const timeoutMs = readIntSetting(env, 'LOCKSMITH_VAULT_TIMEOUT_MS', { default: 5000, min: 50, max: 120_000 });
  const maxAttempts = readIntSetting(env, 'LOCKSMITH_VAULT_MAX_ATTEMPTS', { default: 3, min: 1, max: 10 });
  const baseDelayMs = readIntSetting(env, 'LOCKSMITH_VAULT_RETRY_BASE_MS', { default: 100, min: 1, max: 10_000 });
  const keyInfoTtlMs = readIntSetting(env, 'LOCKSMITH_TRANSIT_KEY_INFO_TTL_MS', { default: 30_000, min: 0, max: 3_600_000 });
  return {
    address: address.toString().replace(/\/+$/, ''),
    token,
    namespace,
    mount,
    key,
    timeoutMs,
    retry: { maxAttempts, baseDelayMs, maxDelayMs: Math.max(baseDelayMs, 5_000) },
    keyInfoTtlMs,
  };
}

// ---- transport errors ------------------------------------------------------------------------

/** Vault answered with a non-2xx status. `messages` are Vault's `errors` strings. */
class VaultHttpError extends Error {
  constructor(
    readonly status: number,
    readonly messages: readonly string[],
    readonly retryAfterMs: number | undefined,
  ) {
    super(`HTTP ${status}`);
  }
}

/** No answer: connection refused/reset, DNS, timeout. `reason` is a code, never a URL or header. */
class VaultTransportError extends Error {
  constructor(
    readonly reason: string,
    readonly timedOut: boolean,
  ) {
    super(reason);
  }
}

function transportReason(error: unknown): { reason: string; timedOut: boolean } {
  const e = error as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  if (e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError') return { reason: 'timeout', timedOut: true };
  const code = e?.cause?.code ?? e?.code;
  return { reason: typeof code === 'string' && /^[A-Z_]+$/.test(code) ? code : 'network error', timedOut: false };
}

/** Retry-After as a delay: delta-seconds, or an HTTP date measured against `now` (the provider's clock). */
function parseRetryAfter(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function mapVaultError(error: unknown, operation: string, timeoutMs: number): KeyProviderError {
  if (error instanceof KeyProviderError) return error;
  const prefix = `${PROVIDER} ${operation}`;
  if (error instanceof VaultTransportError) {
    return new KeyProviderError(
      'PROVIDER_UNAVAILABLE',
      error.timedOut ? `${prefix}: Vault did not answer within ${timeoutMs} ms` : `${prefix}: cannot reach Vault (${error.reason})`,
    );
  }
  if (!(error instanceof VaultHttpError)) {
    return new KeyProviderError('PROVIDER_UNAVAILABLE', `${prefix}: unexpected failure (${(error as Error)?.name ?? 'unknown'})`);
  }
  const vendor = scrubVendorMessage(error.messages.join('; '));
  const text = error.messages.join(' ').toLowerCase();
  const say = (code: KeyProviderError['code'], what: string): KeyProviderError =>
    new KeyProviderError(code, `${prefix}: ${what} (HTTP ${error.status}${vendor ? `: ${vendor}` : ''})`);

  if (error.status === 401 || error.status === 403) return say('PROVIDER_DENIED', 'Vault refused the token or its policy');
  if (RETRYABLE_STATUS.has(error.status) || error.status >= 500) return say('PROVIDER_UNAVAILABLE', 'Vault is unavailable');
  if (error.status === 404) {
    return text.includes('no handler for route')
      ? say('MISCONFIGURED', 'no transit engine at this mount/namespace')
      : say('KEY_NOT_FOUND', 'transit key not found');
  }
  // Version checks first: Vault prefixes "version is too new" with "invalid ciphertext", but it
  // means the key version is gone (key recreated, snapshot restore), not that the bytes are bad.
  if (text.includes('too old') || text.includes('version is too new') || text.includes('invalid key version')) {
    return say('KEY_NOT_FOUND', 'the transit key version that wrapped this data key is not available');
  }
  if (text.includes('encryption key not found') || text.includes('no existing key')) return say('KEY_NOT_FOUND', 'transit key not found');
  if (
    text.includes('invalid ciphertext') ||
    text.includes('message authentication failed') ||
    text.includes('could not decode') ||
    text.includes('illegal base64')
  ) {
    return say('INVALID_CIPHERTEXT', 'Vault refused the wrapped data key (wrong context or damaged bytes)');
  }
  return say('MISCONFIGURED', 'Vault rejected the request');
}

// ---- provider --------------------------------------------------------------------------------

interface KeyInfo {
  readonly derived: boolean;
  latestVersion: number;
  readonly minDecryptionVersion: number;
  readonly fetchedAt: number;
}

function ciphertextVersion(text: string): number | undefined {
  const match = CIPHERTEXT.exec(text);
  return match ? Number(match[1]) : undefined;
}

function decodeKeyBytes(b64: unknown, operation: string): Buffer {
  const bytes = typeof b64 === 'string' ? Buffer.from(b64, 'base64') : Buffer.alloc(0);
  if (bytes.length !== DATA_KEY_BYTES) {
    bytes.fill(0);
    throw new KeyProviderError('INVALID_CIPHERTEXT', `${PROVIDER} ${operation}: Vault returned key material of the wrong length`);
  }
  return bytes;
}

export class VaultTransitKeyProvider implements KeyProvider {
  readonly name = PROVIDER;
  private readonly infos = new Map<string, KeyInfo>();
  private readonly fetching = new Map<string, Promise<KeyInfo>>();

  constructor(
    private readonly settings: VaultTransitSettings,
    private readonly logger?: KeyProviderLogger,
    private readonly clock: { now(): number } = Date,
  ) {}

  async generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey> {
    const key = this.settings.key;
    await this.keyInfo(key);
    const data = await this.post('datakey', `datakey/plaintext/${encodeURIComponent(key)}`, {
      context: this.context(context),
      bits: DATA_KEY_BYTES * 8,
    });
    const wrapped = this.toWrapped(key, data.ciphertext, 'datakey');
    return { plaintext: decodeKeyBytes(data.plaintext, 'datakey'), wrapped };
  }

  async wrapDataKey(plaintext: Buffer, context: EncryptionContext): Promise<WrappedKey> {
    if (plaintext.length !== DATA_KEY_BYTES) {
      throw new KeyProviderError('INVALID_CIPHERTEXT', `${PROVIDER} wrapDataKey: data key must be ${DATA_KEY_BYTES} bytes`);
    }
    const key = this.settings.key;
    await this.keyInfo(key);
    const data = await this.post('encrypt', `encrypt/${encodeURIComponent(key)}`, {
      plaintext: plaintext.toString('base64'),
      context: this.context(context),
    });
    return this.toWrapped(key, data.ciphertext, 'encrypt');
  }

  async unwrapDataKey(wrapped: WrappedKey, context: EncryptionContext): Promise<Buffer> {
    const { key, ciphertext } = this.parseWrapped(wrapped, 'decrypt');
    await this.keyInfo(key);
    const data = await this.post('decrypt', `decrypt/${encodeURIComponent(key)}`, { ciphertext, context: this.context(context) });
    return decodeKeyBytes(data.plaintext, 'decrypt');
  }

  async rewrapDataKey(wrapped: WrappedKey, context: EncryptionContext): Promise<WrappedKey> {
    const { key, ciphertext } = this.parseWrapped(wrapped, 'rewrap');
    const target = this.settings.key;
    if (key !== target) {
      // Vault rewraps only within one key; moving to a new key name goes through this process.
      const plaintext = await this.unwrapDataKey(wrapped, context);
      try {
        return await this.wrapDataKey(plaintext, context);
      } finally {
        plaintext.fill(0);
      }
    }
    await this.keyInfo(key);
    // Always asked of Vault (it knows the latest version for sure); a no-op in substance when current.
    const data = await this.post('rewrap', `rewrap/${encodeURIComponent(key)}`, { ciphertext, context: this.context(context) });
    return this.toWrapped(key, data.ciphertext, 'rewrap');
  }

  /**
   * Synchronous by contract, so it answers from the cached latest_version (refreshed at most
   * every LOCKSMITH_TRANSIT_KEY_INFO_TTL_MS by the next call, and by every datakey/encrypt/rewrap
   * answer). Unknown → `false`: the worst case is one redundant rewrap.
   */
  isCurrent(wrapped: WrappedKey): boolean {
    const ref = KEY_REF.exec(wrapped.keyRef);
    if (!ref || ref[1] !== this.settings.key) return false;
    const version = ciphertextVersion(wrapped.ciphertext.toString('utf8'));
    const info = this.infos.get(this.settings.key);
    return version !== undefined && info !== undefined && version >= info.latestVersion;
  }

  async checkHealth(): Promise<void> {
    const info = await this.keyInfo(this.settings.key, { fresh: true });
    if (info.latestVersion < 1) throw new KeyProviderError('KEY_NOT_FOUND', `${PROVIDER}: transit key has no versions`);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.fetching.values()]);
  }

  private context(context: EncryptionContext): string {
    return encodeEncryptionContext(context).toString('base64');
  }

  private parseWrapped(wrapped: WrappedKey, operation: string): { key: string; ciphertext: string } {
    const ref = KEY_REF.exec(wrapped.keyRef);
    if (!ref || !isKeyName(ref[1]!)) {
      throw new KeyProviderError('KEY_NOT_FOUND', `${PROVIDER} ${operation}: keyRef is not "<transit key>:v<N>" (wrapped by another provider?)`);
    }
    const ciphertext = wrapped.ciphertext.toString('utf8');
    // Checked here so that garbage never reaches Vault and never comes back quoted in an error.
    if (ciphertext.length > MAX_CIPHERTEXT_CHARS || ciphertextVersion(ciphertext) === undefined) {
      throw new KeyProviderError('INVALID_CIPHERTEXT', `${PROVIDER} ${operation}: wrapped data key is not a vault:vN: ciphertext`);
    }
    return { key: ref[1]!, ciphertext };
  }

  private toWrapped(key: string, ciphertext: unknown, operation: string): WrappedKey {
    const version = typeof ciphertext === 'string' ? ciphertextVersion(ciphertext) : undefined;
    if (version === undefined) {
      throw new KeyProviderError('PROVIDER_UNAVAILABLE', `${PROVIDER} ${operation}: Vault answered without a vault:vN: ciphertext`);
    }
    // Vault always wraps with the latest version, so an answer is fresh news about latest_version.
    const info = this.infos.get(key);
    if (info && version > info.latestVersion) info.latestVersion = version;
    return { keyRef: `${key}:v${version}`, ciphertext: Buffer.from(ciphertext as string, 'utf8') };
  }

  /**
   * Key metadata, cached for keyInfoTtlMs. Fetched before first use because a non-derived key
   * would silently ignore `context`. When a refresh fails but an older answer exists, the older
   * answer is used (whether a key is derived can never change), so a hiccup on `keys/<name>`
   * does not fail reads.
   */
  private async keyInfo(key: string, options: { fresh?: boolean } = {}): Promise<KeyInfo> {
    const cached = this.infos.get(key);
    if (cached && !options.fresh && this.clock.now() - cached.fetchedAt < this.settings.keyInfoTtlMs) return cached;
    let pending = this.fetching.get(key);
    if (!pending) {
      pending = this.fetchKeyInfo(key).finally(() => this.fetching.delete(key));
      this.fetching.set(key, pending);
    }
    try {
      return await pending;
    } catch (error) {
      if (cached && !options.fresh && !(error instanceof KeyProviderError && error.code === 'MISCONFIGURED')) {
        this.logger?.warn({ provider: PROVIDER, code: (error as KeyProviderError).code }, 'refreshing transit key info failed; using cached');
        return cached;
      }
      throw error;
    }
  }

  private async fetchKeyInfo(key: string): Promise<KeyInfo> {
    const data = await this.request('keys', 'GET', `keys/${encodeURIComponent(key)}`);
    if (data.derived !== true) {
      throw new KeyProviderError(
        'MISCONFIGURED',
        `${PROVIDER}: transit key "${key}" is not derived; Vault would ignore the encryption context. ` +
          `Create it with derived=true (vault write ${this.settings.mount}/keys/<name> type=aes256-gcm96 derived=true)`,
      );
    }
    if (data.supports_encryption === false) {
      throw new KeyProviderError('MISCONFIGURED', `${PROVIDER}: transit key "${key}" does not support encryption`);
    }
    const info: KeyInfo = {
      derived: true,
      latestVersion: Number(data.latest_version) || 0,
      minDecryptionVersion: Number(data.min_decryption_version) || 1,
      fetchedAt: this.clock.now(),
    };
    this.infos.set(key, info);
    return info;
  }

  private post(operation: string, path: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.request(operation, 'POST', path, body);
  }

  /** One Vault call with per-attempt timeout and bounded retries; returns the `data` object. */
  private async request(
    operation: string,
    method: 'GET' | 'POST',
    path: string,
    body?: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const { address, mount, token, namespace, timeoutMs, retry } = this.settings;
    const url = `${address}/v1/${mount}/${path}`;
    const headers: Record<string, string> = { 'X-Vault-Token': token, Accept: 'application/json' };
    if (namespace) headers['X-Vault-Namespace'] = namespace;
    if (body) headers['Content-Type'] = 'application/json';
    const payload = body ? JSON.stringify(body) : undefined;
    try {
      return await withRetry(
        async () => {
          let response: Response;
          let text: string;
          try {
            // One signal covers connect, headers and body, so a server that stalls mid-body times out too.
            response = await fetch(url, { method, headers, body: payload, signal: AbortSignal.timeout(timeoutMs) });
            text = await response.text();
          } catch (error) {
            const { reason, timedOut } = transportReason(error);
            throw new VaultTransportError(reason, timedOut);
          }
          let json: { data?: Record<string, unknown>; errors?: unknown } | undefined;
          try {
            json = text ? (JSON.parse(text) as typeof json) : undefined;
          } catch {
            json = undefined; // a proxy's HTML error page: the status says enough
          }
          if (!response.ok) {
            const messages = Array.isArray(json?.errors) ? json.errors.filter((m): m is string => typeof m === 'string') : [];
            throw new VaultHttpError(response.status, messages, parseRetryAfter(response.headers.get('retry-after'), this.clock.now()));
          }
          if (!json?.data || typeof json.data !== 'object') {
            throw new KeyProviderError('PROVIDER_UNAVAILABLE', `${PROVIDER} ${operation}: Vault answered without data`);
          }
          return json.data;
        },
        {
          policy: retry,
          classify: (error) => {
            if (error instanceof VaultTransportError) return { retry: true, reason: error.reason };
            if (error instanceof VaultHttpError && RETRYABLE_STATUS.has(error.status)) {
              return { retry: true, reason: `HTTP ${error.status}`, retryAfterMs: error.retryAfterMs };
            }
            return { retry: false, reason: 'final' };
          },
          onRetry: ({ attempt, delayMs, reason }) =>
            this.logger?.warn({ provider: PROVIDER, operation, attempt, delayMs, reason }, 'Vault call failed; retrying'),
        },
      );
    } catch (error) {
      throw mapVaultError(error, operation, timeoutMs);
    }
  }
}

export function createKeyProvider(options: KeyProviderOptions): KeyProvider {
  const settings = readVaultTransitSettings(options.env);
  const host = new URL(settings.address).hostname;
  if (options.production && settings.address.startsWith('http:') && !['127.0.0.1', 'localhost', '[::1]'].includes(host)) {
    // Not refused (a sidecar or service mesh may terminate TLS), but the token travels in the clear.
    options.logger?.warn({ provider: PROVIDER, vaultHost: host }, 'VAULT_ADDR uses plain http in production');
  }
  return new VaultTransitKeyProvider(settings, options.logger, options.clock);
}
