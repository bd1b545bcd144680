import { randomBytes } from 'node:crypto';
import { startFakeKms } from '../fake-kms-server';
import type { KeyProviderBackend, TestBackendDescriptor } from '../key-provider-backends';

const ALIAS = 'alias/locksmith';

/** aws-kms against the loopback fake KMS; root rotation points the alias at a new key. */
export const awsKmsBackend: TestBackendDescriptor = {
  kind: 'aws-kms',
  remote: true,
  async start(options): Promise<KeyProviderBackend> {
    const kms = await startFakeKms();
    kms.createKey({ alias: ALIAS, description: 'locksmith test root key' });
    const env = {
      LOCKSMITH_KEY_PROVIDER: 'aws-kms',
      LOCKSMITH_KMS_KEY_ID: ALIAS,
      AWS_REGION: kms.region,
      AWS_ACCESS_KEY_ID: 'AKIAFAKELOCKSMITHTEST',
      AWS_SECRET_ACCESS_KEY: randomBytes(30).toString('base64'),
      AWS_ENDPOINT_URL_KMS: kms.endpoint,
      LOCKSMITH_KMS_TIMEOUT_MS: String(options.timeoutMs ?? 2000),
      LOCKSMITH_KMS_MAX_ATTEMPTS: String(options.maxAttempts ?? 3),
      LOCKSMITH_KMS_RETRY_BASE_MS: '10',
    };
    const rootKeys = [kms.describe(ALIAS).arn];
    return {
      kind: 'aws-kms',
      env,
      requestCount: () => kms.count(),
      unwrapRequestCount: () => kms.count('Decrypt'),
      setLatency(ms) {
        kms.latencyMs = ms;
      },
      stop: () => kms.stop(),
      start: () => kms.start(),
      async rotateRootKey() {
        const next = kms.createKey({ description: 'rotated root key' });
        kms.setAlias(ALIAS, next.keyId);
        rootKeys.push(next.arn);
      },
      currentKeyRef: () => kms.describe(ALIAS).arn,
      async retireOldRootKeys() {
        for (const arn of rootKeys.slice(0, -1)) kms.setKeyState(arn, 'Disabled');
      },
      close: () => kms.close(),
    };
  },
};
