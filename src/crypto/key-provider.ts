/**
 * The root-of-trust contract. A KeyProvider owns the root key(s) and never hands them out:
 * it generates data keys, and wraps/unwraps them. Everything vendor-specific (AWS KMS, Vault
 * transit, local master keys, a third party's HSM) lives in a plugin that implements this
 * interface; the core only ever talks to this interface, so adding a provider never touches
 * the core (the shape follows the AWS Encryption SDK "keyring").
 *
 * Plugins are loaded by name or module path (see src/crypto/load-provider.ts). A plugin module
 * exports `createKeyProvider(options: KeyProviderOptions): KeyProvider | Promise<KeyProvider>`.
 */

/**
 * Authenticated context bound to a wrapped data key. Providers must bind it cryptographically
 * (KMS EncryptionContext, Vault transit `context`, AES-GCM associated data for local keys)
 * so a wrapped key copied to another developer or slot fails to unwrap.
 */
export interface EncryptionContext {
  /** Tenant the data key belongs to. */
  readonly developerId: string;
  /** Id of the data_keys row. */
  readonly dataKeyId: string;
}

/** A data key as stored: provider-opaque bytes plus the root key reference that wrapped it. */
export interface WrappedKey {
  /**
   * Which root key (and version, where the provider versions keys) wrapped this data key,
   * e.g. a local master key id, a KMS key ARN, `transit-key:v3`. Informational and used to find
   * keys that need rewrapping; providers may also embed it in `ciphertext`.
   */
  readonly keyRef: string;
  /** Provider-opaque wrapped key bytes. Never contains plaintext key material. */
  readonly ciphertext: Buffer;
}

export interface GeneratedDataKey {
  /** 32 bytes of AES-256 key material. The caller zeroes it when done. */
  readonly plaintext: Buffer;
  readonly wrapped: WrappedKey;
}

export interface KeyProvider {
  /** Stable provider name stored next to every data key it wraps (`local`, `aws-kms`, ...). */
  readonly name: string;

  /** Creates a fresh 256-bit data key, returned both in plaintext and wrapped by the newest root key. */
  generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey>;

  /** Wraps existing data key material (used when migrating keys in from another provider). */
  wrapDataKey(plaintext: Buffer, context: EncryptionContext): Promise<WrappedKey>;

  /** Unwraps a data key; fails with KeyProviderError if the context or bytes do not match. */
  unwrapDataKey(wrapped: WrappedKey, context: EncryptionContext): Promise<Buffer>;

  /**
   * Re-wraps a data key under the provider's newest root key without exposing it where the
   * provider can avoid that (KMS ReEncrypt, Vault rewrap). Returns the key unchanged in
   * substance when it is already under the newest root key.
   */
  rewrapDataKey(wrapped: WrappedKey, context: EncryptionContext): Promise<WrappedKey>;

  /** True when `wrapped` is already under the newest root key (nothing to rewrap). */
  isCurrent(wrapped: WrappedKey): boolean;

  /** Readiness probe: resolves when the provider is reachable and usable. */
  checkHealth(): Promise<void>;

  /** Releases sockets/timers. */
  close?(): Promise<void>;
}

/** What the core hands a plugin's factory. Plugins read their own settings from `env`. */
export interface KeyProviderOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The service's data directory (the local provider keeps its generated keyring here in dev mode). */
  readonly dataDir: string;
  /** In production, plugins must refuse to invent keys or fall back to insecure defaults. */
  readonly production: boolean;
  readonly logger?: KeyProviderLogger;
  /**
   * Time for the plugin's own caches (key metadata, resolved key ids), in ms since the epoch;
   * the service's clock, so tests move it instead of sleeping. Default: the system clock.
   */
  readonly clock?: { now(): number };
}

export interface KeyProviderLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export type KeyProviderFactory = (options: KeyProviderOptions) => KeyProvider | Promise<KeyProvider>;

export type KeyProviderErrorCode =
  | 'PROVIDER_UNAVAILABLE' // network failure, timeout, 5xx, throttling after retries
  | 'PROVIDER_DENIED' // credentials or permissions refused
  | 'KEY_NOT_FOUND' // the root key referenced does not exist (any more)
  | 'INVALID_CIPHERTEXT' // wrong bytes, wrong context, tampered
  | 'MISCONFIGURED'; // bad or missing settings at start-up

/**
 * The only error a provider may throw. Messages must never include key material, plaintext,
 * tokens or wrapped bytes: they end up in logs.
 */
export class KeyProviderError extends Error {
  override readonly name = 'KeyProviderError';
  constructor(
    readonly code: KeyProviderErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Serialises an EncryptionContext deterministically, for providers that take bytes as context. */
export function encodeEncryptionContext(context: EncryptionContext): Buffer {
  return Buffer.from(JSON.stringify({ d: context.developerId, k: context.dataKeyId }), 'utf8');
}
