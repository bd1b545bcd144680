import { randomBytes } from 'node:crypto';
import { loadKeyProvider } from '../../src/crypto/load-provider';
import { startFakeKms } from '../support/fake-kms-server';
import { captureLogger, defineKeyProviderContract } from './key-provider.contract';

const TIMEOUT_MS = 300;
const MAX_ATTEMPTS = 3;

defineKeyProviderContract({ expectedName: 'aws-kms', remote: true }, async () => {
  const accessKeyId = 'AKIAFAKECONTRACT0001';
  const secretAccessKey = randomBytes(30).toString('base64');
  const kms = await startFakeKms({ allowedAccessKeyIds: [accessKeyId] });
  kms.createKey({ alias: 'alias/locksmith', description: 'locksmith root key' });
  const logs: string[] = [];
  const env = {
    AWS_REGION: kms.region,
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_ENDPOINT_URL_KMS: kms.endpoint,
    LOCKSMITH_KMS_KEY_ID: 'alias/locksmith',
    LOCKSMITH_KMS_TIMEOUT_MS: String(TIMEOUT_MS),
    LOCKSMITH_KMS_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    LOCKSMITH_KMS_RETRY_BASE_MS: '10',
  };
  return {
    create: () => loadKeyProvider('aws-kms', { env, dataDir: '/nonexistent', production: true, logger: captureLogger(logs) }),
    // KMS rotation to a new root key: a new KMS key, and the alias the service uses moves to it.
    // The running provider follows (GenerateDataKey answers with the new key's ARN).
    async rotate(current) {
      const next = kms.createKey({ description: 'rotated root key' });
      kms.setAlias('alias/locksmith', next.keyId);
      return current;
    },
    secrets: () => [secretAccessKey],
    logs,
    remote: {
      stop: () => kms.stop(),
      start: () => kms.start(),
      failNext: (count) => kms.failNext(count),
      throttleNext: (count) => kms.throttleNext(count),
      setLatency: (ms) => {
        kms.latencyMs = ms;
      },
      clearFaults: () => kms.clearFaults(),
      requestCount: () => kms.count(),
      maxAttempts: MAX_ATTEMPTS,
      timeoutMs: TIMEOUT_MS,
    },
    teardown: () => kms.close(),
  };
});
