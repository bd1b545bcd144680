/**
 * The backend behind each built-in key provider, for tests: nothing for `local`, a loopback
 * fake KMS or Vault (real wire protocol, real encryption) for the remote ones, with the env
 * that points the plugin at it. `LOCKSMITH_TEST_KEY_PROVIDER=local|aws-kms|vault-transit`
 * picks the one tests/support/test-app.ts uses by default, so the integration suite runs
 * unchanged over every provider.
 */
import { randomBytes } from 'node:crypto';
import { type FakeKmsServer, startFakeKms } from './fake-kms-server';
import { type FakeVaultServer, startFakeVault } from './fake-vault-server';

export type TestKeyProviderKind = 'local' | 'aws-kms' | 'vault-transit';

export const TEST_KEY_PROVIDER_KINDS: readonly TestKeyProviderKind[] = ['local', 'aws-kms', 'vault-transit'];

// The SDK's one-time "Node 22 needed after 2027" notice is for operators, not test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** The provider the integration suite runs over (LOCKSMITH_TEST_KEY_PROVIDER, default local). */
export function testKeyProvider(env: Readonly<Record<string, string | undefined>> = process.env): TestKeyProviderKind {
  const chosen = env.LOCKSMITH_TEST_KEY_PROVIDER?.trim() || 'local';
  if (!(TEST_KEY_PROVIDER_KINDS as readonly string[]).includes(chosen)) {
    throw new Error(`LOCKSMITH_TEST_KEY_PROVIDER must be one of ${TEST_KEY_PROVIDER_KINDS.join(', ')} (got "${chosen}")`);
  }
  return chosen as TestKeyProviderKind;
}

export interface KeyProviderBackend {
  readonly kind: TestKeyProviderKind;
  /** Settings for the plugin (LOCKSMITH_KEY_PROVIDER included). */
  readonly env: Record<string, string>;
  /** The fake behind a remote provider, for fault injection and request counts. */
  readonly kms?: FakeKmsServer;
  readonly vault?: FakeVaultServer;
  /** Requests the backend received (0 for local). */
  requestCount(): number;
  /** Outage: connections refused until start(); keys are kept. No-ops for local. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface BackendOptions {
  /** Per-attempt timeout and attempts given to the plugin (fast failure in outage tests). */
  readonly timeoutMs?: number;
  readonly maxAttempts?: number;
}

export async function startKeyProviderBackend(kind: TestKeyProviderKind, options: BackendOptions = {}): Promise<KeyProviderBackend> {
  const timeoutMs = String(options.timeoutMs ?? 2000);
  const maxAttempts = String(options.maxAttempts ?? 3);
  if (kind === 'aws-kms') {
    const kms = await startFakeKms();
    kms.createKey({ alias: 'alias/locksmith', description: 'locksmith test root key' });
    return {
      kind,
      kms,
      env: {
        LOCKSMITH_KEY_PROVIDER: 'aws-kms',
        LOCKSMITH_KMS_KEY_ID: 'alias/locksmith',
        AWS_REGION: kms.region,
        AWS_ACCESS_KEY_ID: 'AKIAFAKELOCKSMITHTEST',
        AWS_SECRET_ACCESS_KEY: randomBytes(30).toString('base64'),
        AWS_ENDPOINT_URL_KMS: kms.endpoint,
        LOCKSMITH_KMS_TIMEOUT_MS: timeoutMs,
        LOCKSMITH_KMS_MAX_ATTEMPTS: maxAttempts,
        LOCKSMITH_KMS_RETRY_BASE_MS: '10',
      },
      requestCount: () => kms.count(),
      stop: () => kms.stop(),
      start: () => kms.start(),
      close: () => kms.close(),
    };
  }
  if (kind === 'vault-transit') {
    const vault = await startFakeVault();
    vault.createKey('locksmith', { derived: true });
    return {
      kind,
      vault,
      env: {
        LOCKSMITH_KEY_PROVIDER: 'vault-transit',
        VAULT_ADDR: vault.address,
        VAULT_TOKEN: vault.token,
        LOCKSMITH_TRANSIT_KEY: 'locksmith',
        LOCKSMITH_VAULT_TIMEOUT_MS: timeoutMs,
        LOCKSMITH_VAULT_MAX_ATTEMPTS: maxAttempts,
        LOCKSMITH_VAULT_RETRY_BASE_MS: '10',
      },
      requestCount: () => vault.count(),
      stop: () => vault.stop(),
      start: () => vault.start(),
      close: () => vault.close(),
    };
  }
  return {
    kind,
    env: { LOCKSMITH_KEY_PROVIDER: 'local' },
    requestCount: () => 0,
    stop: async () => {},
    start: async () => {},
    close: async () => {},
  };
}
