import { startFakeVault } from '../fake-vault-server';
import type { KeyProviderBackend, TestBackendDescriptor } from '../key-provider-backends';

const KEY = 'locksmith';

/** vault-transit against the loopback fake Vault; root rotation adds a transit key version. */
export const vaultTransitBackend: TestBackendDescriptor = {
  kind: 'vault-transit',
  remote: true,
  async start(options): Promise<KeyProviderBackend> {
    const vault = await startFakeVault();
    vault.createKey(KEY, { derived: true });
    const env = {
      LOCKSMITH_KEY_PROVIDER: 'vault-transit',
      VAULT_ADDR: vault.address,
      VAULT_TOKEN: vault.token,
      LOCKSMITH_TRANSIT_KEY: KEY,
      LOCKSMITH_VAULT_TIMEOUT_MS: String(options.timeoutMs ?? 2000),
      LOCKSMITH_VAULT_MAX_ATTEMPTS: String(options.maxAttempts ?? 3),
      LOCKSMITH_VAULT_RETRY_BASE_MS: '10',
    };
    return {
      kind: 'vault-transit',
      env,
      requestCount: () => vault.count(),
      unwrapRequestCount: () => vault.count('decrypt'),
      setLatency(ms) {
        vault.latencyMs = ms;
      },
      stop: () => vault.stop(),
      start: () => vault.start(),
      async rotateRootKey() {
        vault.rotate(KEY);
      },
      currentKeyRef: () => `${KEY}:v${vault.latestVersion(KEY)}`,
      async retireOldRootKeys() {
        vault.setMinDecryptionVersion(KEY, vault.latestVersion(KEY));
      },
      close: () => vault.close(),
    };
  },
};
