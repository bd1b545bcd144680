import { loadKeyProvider } from '../../src/crypto/load-provider';
import { startFakeVault } from '../support/fake-vault-server';
import { captureLogger, defineKeyProviderContract } from './key-provider.contract';

const TIMEOUT_MS = 300;
const MAX_ATTEMPTS = 3;

defineKeyProviderContract({ expectedName: 'vault-transit', remote: true }, async () => {
  const vault = await startFakeVault({ namespace: 'team-a' });
  vault.createKey('locksmith', { derived: true });
  const logs: string[] = [];
  const env = {
    VAULT_ADDR: vault.address,
    VAULT_TOKEN: vault.token,
    VAULT_NAMESPACE: 'team-a',
    LOCKSMITH_TRANSIT_KEY: 'locksmith',
    LOCKSMITH_VAULT_TIMEOUT_MS: String(TIMEOUT_MS),
    LOCKSMITH_VAULT_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    LOCKSMITH_VAULT_RETRY_BASE_MS: '10',
  };
  return {
    create: () => loadKeyProvider('vault-transit', { env, dataDir: '/nonexistent', production: true, logger: captureLogger(logs) }),
    // Vault rotation: a new version of the same transit key; the running provider follows.
    async rotate(current) {
      vault.rotate('locksmith');
      return current;
    },
    secrets: () => [vault.token],
    logs,
    remote: {
      stop: () => vault.stop(),
      start: () => vault.start(),
      failNext: (count) => vault.failNext(count, { status: 503 }),
      throttleNext: (count) => vault.throttleNext(count),
      setLatency: (ms) => {
        vault.latencyMs = ms;
      },
      clearFaults: () => vault.clearFaults(),
      requestCount: () => vault.count(),
      maxAttempts: MAX_ATTEMPTS,
      timeoutMs: TIMEOUT_MS,
    },
    teardown: () => vault.close(),
  };
});
