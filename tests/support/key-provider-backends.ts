/**
 * The registry of test backends: one descriptor per key provider, saying how tests start what
 * the provider talks to (nothing for `local`; a loopback fake KMS or Vault speaking the real wire
 * protocol and really encrypting for the remote ones), the environment that points the plugin at
 * it, how to rotate and retire its root key, and its fault controls. Adding a key provider to the
 * suite is one file in tests/support/backends/ and one line here (docs/adding-a-key-provider.md).
 *
 * `LOCKSMITH_TEST_KEY_PROVIDER=<kind>` picks the one tests/support/test-app.ts uses by default,
 * so the provider-dependent integration files run unchanged over every provider
 * (`npm run test:providers`).
 */
import { awsKmsBackend } from './backends/aws-kms';
import { localBackend } from './backends/local';
import { vaultTransitBackend } from './backends/vault-transit';

/** What a test can do with the backend of its key provider, whichever provider it is. */
export interface KeyProviderBackend {
  readonly kind: TestKeyProviderKind;
  /** Settings for the plugin (LOCKSMITH_KEY_PROVIDER included), as of now: root rotation may change them. */
  readonly env: Record<string, string>;
  /** Requests the backend received (0 for local). */
  requestCount(): number;
  /** Unwrap (decrypt) requests the backend received (0 for local). */
  unwrapRequestCount(): number;
  /** Added to every answer (no-op for local). */
  setLatency(ms: number): void;
  /** Outage: connections refused until start(); keys are kept. No-ops for local. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Makes a new root key (version) the one new wrappings use. */
  rotateRootKey(): Promise<void>;
  /** key_ref every data key has once rewrapped under the newest root key. */
  currentKeyRef(): string;
  /** Takes the root keys before the newest out of use: data keys still under them no longer unwrap. */
  retireOldRootKeys(): Promise<void>;
  close(): Promise<void>;
}

export interface BackendOptions {
  /** Per-attempt timeout and attempts given to the plugin (fast failure in outage tests). */
  readonly timeoutMs?: number;
  readonly maxAttempts?: number;
}

export interface TestBackendDescriptor {
  /** The provider name, as in LOCKSMITH_KEY_PROVIDER. */
  readonly kind: string;
  /** Talks to a server: outages, latency and request counts mean something. */
  readonly remote: boolean;
  start(options: BackendOptions): Promise<KeyProviderBackend>;
}

const REGISTRY = {
  local: localBackend,
  'aws-kms': awsKmsBackend,
  'vault-transit': vaultTransitBackend,
} as const satisfies Record<string, TestBackendDescriptor>;

export type TestKeyProviderKind = keyof typeof REGISTRY;

export const TEST_KEY_PROVIDER_KINDS = Object.keys(REGISTRY) as TestKeyProviderKind[];

/** The providers behind a server, for outage and wire-level tests. */
export const REMOTE_KEY_PROVIDER_KINDS = TEST_KEY_PROVIDER_KINDS.filter((kind) => REGISTRY[kind].remote);

/** The provider the integration suite runs over (LOCKSMITH_TEST_KEY_PROVIDER, default local). */
export function testKeyProvider(env: Readonly<Record<string, string | undefined>> = process.env): TestKeyProviderKind {
  const chosen = env.LOCKSMITH_TEST_KEY_PROVIDER?.trim() || 'local';
  if (!(TEST_KEY_PROVIDER_KINDS as readonly string[]).includes(chosen)) {
    throw new Error(`LOCKSMITH_TEST_KEY_PROVIDER must be one of ${TEST_KEY_PROVIDER_KINDS.join(', ')} (got "${chosen}")`);
  }
  return chosen as TestKeyProviderKind;
}

export function startKeyProviderBackend(kind: TestKeyProviderKind, options: BackendOptions = {}): Promise<KeyProviderBackend> {
  return REGISTRY[kind].start(options);
}
