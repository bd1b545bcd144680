/**
 * `aws-kms` key provider: the root key is an AWS KMS symmetric key; data keys come from
 * GenerateDataKey, unwrap with Decrypt, rewrap with ReEncrypt (the data key never leaves KMS
 * in plaintext during a rewrap), and existing key material is wrapped with Encrypt.
 *
 * Configured the AWS way, so operators need nothing locksmith-specific beyond the key id:
 *   LOCKSMITH_KMS_KEY_ID       key id, key ARN, alias name (`alias/x`) or alias ARN (required)
 *   AWS_REGION                 region (else the SDK's shared-config chain)
 *   AWS_ENDPOINT_URL_KMS / AWS_ENDPOINT_URL   custom endpoint (VPC endpoint, LocalStack, test fake)
 *   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE, IMDS, ...:
 *                              the SDK's default credential chain
 *   LOCKSMITH_KMS_TIMEOUT_MS   per-attempt timeout (default 5000)
 *   LOCKSMITH_KMS_MAX_ATTEMPTS total attempts on throttling/5xx/network errors (default 3)
 *   LOCKSMITH_KMS_RETRY_BASE_MS first backoff delay, doubled per retry, jittered (default 100)
 *
 * Every wrapped key is bound to an EncryptionContext {locksmith_developer, locksmith_data_key},
 * so KMS itself refuses to unwrap a key copied onto another developer or data-key row, and the
 * context shows up in CloudTrail for auditing.
 *
 * keyRef is the ARN of the KMS key that wrapped the data key. Rotation: point the configured
 * alias at a new key (or change LOCKSMITH_KMS_KEY_ID), then `locksmith keys rewrap`. KMS's own
 * automatic rotation keeps the ARN and is transparent: old ciphertexts keep decrypting.
 */
import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
  type KMSClientConfig,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import {
  type EncryptionContext,
  type GeneratedDataKey,
  type KeyProvider,
  KeyProviderError,
  type KeyProviderLogger,
  type KeyProviderOptions,
  type WrappedKey,
} from '../../src/crypto/key-provider';
import { backoffDelay, maxTotalBackoff, readIntSetting, type RetryPolicy, scrubVendorMessage } from '../shared/retry';

const PROVIDER = 'aws-kms';
const DATA_KEY_BYTES = 32;
/** KMS's own limit on CiphertextBlob; anything larger cannot be ours, so we refuse before calling. */
const MAX_CIPHERTEXT_BYTES = 6144;
/**
 * How long the configured key's ARN (from DescribeKey) is trusted. Only matters when the key is
 * configured by alias: an operator who re-points the alias should see `isCurrent` follow within
 * minutes even if no new data key is generated meanwhile (every GenerateDataKey/Encrypt/ReEncrypt
 * response also refreshes it, and so does every checkHealth()).
 */
const ARN_CACHE_TTL_MS = 5 * 60_000;
const KEY_ARN = /^arn:aws[a-z-]*:kms:[^:]+:\d{12}:key\/.+$/;

export interface AwsKmsSettings {
  readonly keyId: string;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
}

export function readAwsKmsSettings(env: KeyProviderOptions['env']): AwsKmsSettings {
  const keyId = env.LOCKSMITH_KMS_KEY_ID?.trim();
  if (!keyId) {
    throw new KeyProviderError(
      'MISCONFIGURED',
      'LOCKSMITH_KMS_KEY_ID is required for the aws-kms key provider (a key id, key ARN, alias/<name> or alias ARN)',
    );
  }
  if (/\s/.test(keyId)) throw new KeyProviderError('MISCONFIGURED', 'LOCKSMITH_KMS_KEY_ID must not contain whitespace');
  const timeoutMs = readIntSetting(env, 'LOCKSMITH_KMS_TIMEOUT_MS', { default: 5000, min: 50, max: 120_000 });
  const maxAttempts = readIntSetting(env, 'LOCKSMITH_KMS_MAX_ATTEMPTS', { default: 3, min: 1, max: 10 });
  const baseDelayMs = readIntSetting(env, 'LOCKSMITH_KMS_RETRY_BASE_MS', { default: 100, min: 1, max: 10_000 });
  return { keyId, timeoutMs, retry: { maxAttempts, baseDelayMs, maxDelayMs: Math.max(baseDelayMs, 5_000) } };
}

// ---- retries ---------------------------------------------------------------------------------

type SdkRetryStrategy = NonNullable<KMSClientConfig['retryStrategy']>;
type RetryStrategyV2 = Extract<SdkRetryStrategy, { acquireInitialRetryToken: unknown }>;
type RetryToken = Awaited<ReturnType<RetryStrategyV2['acquireInitialRetryToken']>>;
type RetryErrorInfo = Parameters<RetryStrategyV2['refreshRetryTokenForRetry']>[1];

/**
 * The SDK's standard strategy waits up to seconds on throttling and keeps a process-wide retry
 * quota; we want a small, configurable, predictable bound (attempts x timeout + backoff) so a KMS
 * outage turns into PROVIDER_UNAVAILABLE quickly, and a log line per retry.
 */
class BoundedRetryStrategy implements RetryStrategyV2 {
  constructor(
    private readonly policy: RetryPolicy,
    private readonly logger?: KeyProviderLogger,
    /** Measures a Retry-After hint (an absolute time) against the provider's clock. */
    private readonly clock: { now(): number } = Date,
  ) {}

  async acquireInitialRetryToken(): Promise<RetryToken> {
    return retryToken(0, 0);
  }

  async refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const retries = token.getRetryCount();
    if (info.errorType === 'CLIENT_ERROR' || retries + 1 >= this.policy.maxAttempts) {
      // The SDK rethrows the operation's own error when refreshing fails.
      throw new Error('no retry');
    }
    const hint = info.retryAfterHint ? info.retryAfterHint.getTime() - this.clock.now() : 0;
    const delayMs = Math.min(this.policy.maxDelayMs, Math.max(backoffDelay(this.policy, retries + 1), hint));
    this.logger?.warn(
      { provider: PROVIDER, attempt: retries + 1, delayMs, reason: info.error?.name ?? info.errorType },
      'KMS call failed; retrying',
    );
    return retryToken(retries + 1, delayMs);
  }

  recordSuccess(): void {}
}

function retryToken(count: number, delay: number): RetryToken {
  return { getRetryCount: () => count, getRetryDelay: () => delay };
}

// ---- errors ----------------------------------------------------------------------------------

const KEY_NOT_FOUND_ERRORS = new Set(['NotFoundException', 'DisabledException', 'KMSInvalidStateException']);
const INVALID_CIPHERTEXT_ERRORS = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);
const DENIED_ERRORS = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignature',
  'IncompleteSignatureException',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'InvalidClientTokenId',
  'ExpiredTokenException',
  'CredentialsProviderError',
]);
const MISCONFIGURED_ERRORS = new Set(['InvalidKeyUsageException', 'ValidationException', 'InvalidArnException']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

/**
 * Turns whatever the SDK threw into a KeyProviderError. The SDK error is not attached as `cause`:
 * it carries the raw HTTP response, and a logger that serialises causes would print it.
 */
export function mapKmsError(error: unknown, operation: string): KeyProviderError {
  if (error instanceof KeyProviderError) return error;
  const e = (error ?? {}) as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const status = e.$metadata?.httpStatusCode;
  const details = [name, status ? `HTTP ${status}` : '', e.$metadata?.requestId ? `request ${e.$metadata.requestId}` : '']
    .filter(Boolean)
    .join(', ');
  const vendor = scrubVendorMessage(e.message);
  const say = (code: KeyProviderError['code'], what: string, withVendor = true): KeyProviderError =>
    new KeyProviderError(code, `${PROVIDER} ${operation}: ${what} [${details}]${withVendor && vendor ? `: ${vendor}` : ''}`);

  if (KEY_NOT_FOUND_ERRORS.has(name)) return say('KEY_NOT_FOUND', 'KMS key not found, disabled or pending deletion');
  if (INVALID_CIPHERTEXT_ERRORS.has(name)) {
    return say('INVALID_CIPHERTEXT', 'KMS refused the wrapped data key (wrong key, wrong context or damaged bytes)');
  }
  if (DENIED_ERRORS.has(name)) {
    // IAM's AccessDenied text (which principal, which action) is what an operator needs; the
    // signature errors' texts quote the canonical request, so they are left out.
    return say('PROVIDER_DENIED', 'AWS refused the credentials or permissions', name === 'AccessDeniedException');
  }
  if (MISCONFIGURED_ERRORS.has(name)) return say('MISCONFIGURED', 'KMS rejected the request');
  if (name === 'AbortError' || name === 'TimeoutError') return say('PROVIDER_UNAVAILABLE', 'KMS did not answer in time', false);
  if (e.message === 'Region is missing') {
    return new KeyProviderError('MISCONFIGURED', `${PROVIDER}: no AWS region configured (set AWS_REGION)`);
  }
  if (e.code && NETWORK_CODES.has(e.code)) return say('PROVIDER_UNAVAILABLE', `cannot reach KMS (${e.code})`, false);
  return say('PROVIDER_UNAVAILABLE', 'KMS call failed');
}

// ---- provider --------------------------------------------------------------------------------

function kmsContext(context: EncryptionContext): Record<string, string> {
  return { locksmith_developer: context.developerId, locksmith_data_key: context.dataKeyId };
}

/** Copies SDK output into a Buffer we own and wipes the SDK's copy of the key material. */
function takeKeyBytes(bytes: Uint8Array | undefined, operation: string): Buffer {
  if (!bytes || bytes.length !== DATA_KEY_BYTES) {
    bytes?.fill(0);
    throw new KeyProviderError('INVALID_CIPHERTEXT', `${PROVIDER} ${operation}: KMS returned key material of the wrong length`);
  }
  const copy = Buffer.from(bytes);
  bytes.fill(0);
  return copy;
}

export class AwsKmsKeyProvider implements KeyProvider {
  readonly name = PROVIDER;
  private currentArn: string | undefined;
  private currentArnAt = 0;
  private resolving: Promise<string> | undefined;

  constructor(
    private readonly client: KMSClient,
    private readonly settings: AwsKmsSettings,
    private readonly logger?: KeyProviderLogger,
    private readonly clock: { now(): number } = Date,
  ) {
    // A configured key ARN needs no lookup; ids and aliases are resolved lazily via DescribeKey.
    if (KEY_ARN.test(settings.keyId)) this.noteCurrentArn(settings.keyId);
  }

  async generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey> {
    const out = await this.call('GenerateDataKey', (signal) =>
      this.client.send(
        new GenerateDataKeyCommand({ KeyId: this.settings.keyId, KeySpec: 'AES_256', EncryptionContext: kmsContext(context) }),
        { abortSignal: signal },
      ),
    );
    const plaintext = takeKeyBytes(out.Plaintext, 'GenerateDataKey');
    return { plaintext, wrapped: this.toWrapped(out.KeyId, out.CiphertextBlob, 'GenerateDataKey') };
  }

  async wrapDataKey(plaintext: Buffer, context: EncryptionContext): Promise<WrappedKey> {
    if (plaintext.length !== DATA_KEY_BYTES) {
      throw new KeyProviderError('INVALID_CIPHERTEXT', `${PROVIDER} wrapDataKey: data key must be ${DATA_KEY_BYTES} bytes`);
    }
    const out = await this.call('Encrypt', (signal) =>
      this.client.send(
        new EncryptCommand({ KeyId: this.settings.keyId, Plaintext: plaintext, EncryptionContext: kmsContext(context) }),
        { abortSignal: signal },
      ),
    );
    return this.toWrapped(out.KeyId, out.CiphertextBlob, 'Encrypt');
  }

  async unwrapDataKey(wrapped: WrappedKey, context: EncryptionContext): Promise<Buffer> {
    this.checkWrapped(wrapped, 'Decrypt');
    const out = await this.call('Decrypt', (signal) =>
      this.client.send(
        // KeyId pins the key: without it KMS would use whichever key the blob names, so a blob
        // planted from another KMS key the service can use would still decrypt.
        new DecryptCommand({ CiphertextBlob: wrapped.ciphertext, EncryptionContext: kmsContext(context), KeyId: wrapped.keyRef }),
        { abortSignal: signal },
      ),
    );
    return takeKeyBytes(out.Plaintext, 'Decrypt');
  }

  async rewrapDataKey(wrapped: WrappedKey, context: EncryptionContext): Promise<WrappedKey> {
    this.checkWrapped(wrapped, 'ReEncrypt');
    if (wrapped.keyRef === (await this.currentKeyArn())) return wrapped;
    const ctx = kmsContext(context);
    const out = await this.call('ReEncrypt', (signal) =>
      this.client.send(
        new ReEncryptCommand({
          CiphertextBlob: wrapped.ciphertext,
          SourceKeyId: wrapped.keyRef,
          SourceEncryptionContext: ctx,
          DestinationKeyId: this.settings.keyId,
          DestinationEncryptionContext: ctx,
        }),
        { abortSignal: signal },
      ),
    );
    return this.toWrapped(out.KeyId, out.CiphertextBlob, 'ReEncrypt');
  }

  /**
   * Compares against the configured key's ARN as last learnt (DescribeKey, or the KeyId of any
   * GenerateDataKey/Encrypt/ReEncrypt answer). Until it is known the answer is `false`: the worst
   * case is one ReEncrypt that changes nothing, never a key left under a retired root key.
   */
  isCurrent(wrapped: WrappedKey): boolean {
    return this.currentArn !== undefined && wrapped.keyRef === this.currentArn;
  }

  async checkHealth(): Promise<void> {
    const out = await this.call('DescribeKey', (signal) =>
      this.client.send(new DescribeKeyCommand({ KeyId: this.settings.keyId }), { abortSignal: signal }),
    );
    const meta = out.KeyMetadata;
    if (!meta?.Arn) throw new KeyProviderError('PROVIDER_UNAVAILABLE', `${PROVIDER} DescribeKey: answer without key metadata`);
    this.noteCurrentArn(meta.Arn);
    if (meta.Enabled === false || (meta.KeyState !== undefined && meta.KeyState !== 'Enabled')) {
      throw new KeyProviderError('KEY_NOT_FOUND', `${PROVIDER}: KMS key ${meta.Arn} is not enabled (state ${meta.KeyState ?? 'unknown'})`);
    }
    const spec = meta.KeySpec ?? meta.CustomerMasterKeySpec;
    if ((meta.KeyUsage && meta.KeyUsage !== 'ENCRYPT_DECRYPT') || (spec && spec !== 'SYMMETRIC_DEFAULT')) {
      throw new KeyProviderError(
        'MISCONFIGURED',
        `${PROVIDER}: KMS key ${meta.Arn} must be a symmetric ENCRYPT_DECRYPT key (is ${spec ?? '?'} / ${meta.KeyUsage ?? '?'})`,
      );
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /** The configured key's ARN: DescribeKey once, cached (see ARN_CACHE_TTL_MS), concurrent callers share one call. */
  private async currentKeyArn(): Promise<string> {
    if (this.currentArn && this.clock.now() - this.currentArnAt < ARN_CACHE_TTL_MS) return this.currentArn;
    this.resolving ??= this.call('DescribeKey', (signal) =>
      this.client.send(new DescribeKeyCommand({ KeyId: this.settings.keyId }), { abortSignal: signal }),
    )
      .then((out) => {
        const arn = out.KeyMetadata?.Arn;
        if (!arn) throw new KeyProviderError('PROVIDER_UNAVAILABLE', `${PROVIDER} DescribeKey: answer without key ARN`);
        this.noteCurrentArn(arn);
        return arn;
      })
      .finally(() => {
        this.resolving = undefined;
      });
    return this.resolving;
  }

  private noteCurrentArn(arn: string): void {
    if (this.currentArn !== undefined && this.currentArn !== arn) {
      this.logger?.info({ provider: PROVIDER, keyArn: arn, previousKeyArn: this.currentArn }, 'configured KMS key now resolves to a new key');
    }
    this.currentArn = arn;
    this.currentArnAt = this.clock.now();
  }

  private toWrapped(keyArn: string | undefined, blob: Uint8Array | undefined, operation: string): WrappedKey {
    if (!keyArn || !blob || blob.length === 0) {
      throw new KeyProviderError('PROVIDER_UNAVAILABLE', `${PROVIDER} ${operation}: incomplete answer from KMS`);
    }
    // The key that actually wrapped is by definition what the configured id points at right now.
    this.noteCurrentArn(keyArn);
    return { keyRef: keyArn, ciphertext: Buffer.from(blob) };
  }

  private checkWrapped(wrapped: WrappedKey, operation: string): void {
    if (!KEY_ARN.test(wrapped.keyRef)) {
      throw new KeyProviderError('KEY_NOT_FOUND', `${PROVIDER} ${operation}: keyRef is not a KMS key ARN (wrapped by another provider?)`);
    }
    if (wrapped.ciphertext.length === 0 || wrapped.ciphertext.length > MAX_CIPHERTEXT_BYTES) {
      throw new KeyProviderError('INVALID_CIPHERTEXT', `${PROVIDER} ${operation}: wrapped data key has an impossible length`);
    }
  }

  /**
   * One SDK call under an overall deadline. Per-attempt timeouts live in the request handler;
   * this signal is the backstop for everything else (credential lookups, backoff sleeps).
   */
  private async call<T>(operation: string, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { timeoutMs, retry } = this.settings;
    const deadline = timeoutMs * retry.maxAttempts + maxTotalBackoff(retry) + 250;
    try {
      return await send(AbortSignal.timeout(deadline));
    } catch (error) {
      throw mapKmsError(error, operation);
    }
  }
}

export function createAwsKmsClient(
  env: KeyProviderOptions['env'],
  settings: AwsKmsSettings,
  logger?: KeyProviderLogger,
  clock?: { now(): number },
): KMSClient {
  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
  const endpoint = env.AWS_ENDPOINT_URL_KMS?.trim() || env.AWS_ENDPOINT_URL?.trim();
  const region = env.AWS_REGION?.trim();
  // The SDK reads process.env by itself; the values are passed explicitly only so that the env
  // the core hands us (which is process.env in production, a fixture in tests) is the one honoured.
  return new KMSClient({
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN?.trim() || undefined } }
      : {}),
    maxAttempts: settings.retry.maxAttempts,
    retryStrategy: new BoundedRetryStrategy(settings.retry, logger, clock),
    requestHandler: {
      connectionTimeout: settings.timeoutMs,
      requestTimeout: settings.timeoutMs,
      // Without this the SDK only logs a warning when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
    },
  });
}

export function createKeyProvider(options: KeyProviderOptions): KeyProvider {
  const settings = readAwsKmsSettings(options.env);
  return new AwsKmsKeyProvider(createAwsKmsClient(options.env, settings, options.logger, options.clock), settings, options.logger, options.clock);
}
