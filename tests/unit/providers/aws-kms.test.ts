import { randomBytes } from 'node:crypto';
import { type KeyProvider, KeyProviderError } from '../../../src/crypto/key-provider';
import { createKeyProvider, mapKmsError } from '../../../plugins/key-provider-aws-kms';
import { type FakeKmsKeyInfo, type FakeKmsServer, startFakeKms } from '../../support/fake-kms-server';
import { captureLogger, randomContext } from '../../contract/key-provider.contract';

const ACCESS_KEY_ID = 'AKIAUNITTEST00000001';
const SECRET_ACCESS_KEY = randomBytes(30).toString('base64');
const ALIAS = 'alias/unit-root';

let kms: FakeKmsServer;
let root: FakeKmsKeyInfo;
const providers: KeyProvider[] = [];
const messages: string[] = [];

function env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    AWS_REGION: kms.region,
    AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
    AWS_ENDPOINT_URL_KMS: kms.endpoint,
    LOCKSMITH_KMS_KEY_ID: ALIAS,
    LOCKSMITH_KMS_TIMEOUT_MS: '300',
    LOCKSMITH_KMS_MAX_ATTEMPTS: '3',
    LOCKSMITH_KMS_RETRY_BASE_MS: '5',
    ...extra,
  };
}

function make(extra: Record<string, string | undefined> = {}, logs: string[] = []): KeyProvider {
  const provider = createKeyProvider({ env: env(extra), dataDir: '/nonexistent', production: true, logger: captureLogger(logs) });
  providers.push(provider);
  return provider;
}

async function failure(promise: Promise<unknown>, code: KeyProviderError['code']): Promise<KeyProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KeyProviderError);
  expect((error as KeyProviderError).code).toBe(code);
  messages.push((error as Error).message);
  return error as KeyProviderError;
}

function lastRequest(operation: string): Record<string, unknown> {
  const found = [...kms.requests].reverse().find((r) => r.operation === operation);
  if (!found) throw new Error(`no ${operation} request`);
  return found.body;
}

beforeAll(async () => {
  kms = await startFakeKms({ allowedAccessKeyIds: [ACCESS_KEY_ID, 'AKIAFROMPROCESSENV01'] });
  root = kms.createKey({ alias: ALIAS });
});

afterAll(async () => {
  await Promise.all(providers.map((p) => p.close?.()));
  await kms.close();
  for (const message of messages) expect(message).not.toContain(SECRET_ACCESS_KEY);
});

beforeEach(() => {
  kms.clearFaults();
  kms.resetCounters();
});

describe('settings', () => {
  it('requires LOCKSMITH_KMS_KEY_ID', () => {
    expect(() => make({ LOCKSMITH_KMS_KEY_ID: undefined })).toThrow(/LOCKSMITH_KMS_KEY_ID is required/);
    expect(() => make({ LOCKSMITH_KMS_KEY_ID: '  ' })).toThrow(KeyProviderError);
  });

  it.each([
    ['LOCKSMITH_KMS_TIMEOUT_MS', 'soon'],
    ['LOCKSMITH_KMS_MAX_ATTEMPTS', '0'],
    ['LOCKSMITH_KMS_RETRY_BASE_MS', '-1'],
  ])('rejects a malformed %s', (name, value) => {
    try {
      make({ [name]: value });
      throw new Error('accepted');
    } catch (error) {
      expect((error as KeyProviderError).code).toBe('MISCONFIGURED');
      expect((error as Error).message).toContain(name);
    }
  });

  it('does no I/O at construction', () => {
    make();
    expect(kms.count()).toBe(0);
  });
});

describe('requests on the wire', () => {
  it('GenerateDataKey asks for AES_256 under the configured key with the encryption context', async () => {
    const provider = make();
    const context = randomContext();
    const generated = await provider.generateDataKey(context);
    expect(lastRequest('GenerateDataKey')).toEqual({
      KeyId: ALIAS,
      KeySpec: 'AES_256',
      EncryptionContext: { locksmith_developer: context.developerId, locksmith_data_key: context.dataKeyId },
    });
    // keyRef is the key's ARN, never the alias: the alias may move, the ARN identifies the root key.
    expect(generated.wrapped.keyRef).toBe(root.arn);
  });

  it('Decrypt pins the KeyId recorded in keyRef', async () => {
    const provider = make();
    const context = randomContext();
    const generated = await provider.generateDataKey(context);
    await provider.unwrapDataKey(generated.wrapped, context);
    expect(lastRequest('Decrypt')).toMatchObject({
      KeyId: root.arn,
      EncryptionContext: { locksmith_developer: context.developerId, locksmith_data_key: context.dataKeyId },
    });
  });

  it('wrapDataKey uses Encrypt with the context', async () => {
    const provider = make();
    const context = randomContext();
    await provider.wrapDataKey(randomBytes(32), context);
    expect(lastRequest('Encrypt')).toMatchObject({ KeyId: ALIAS, EncryptionContext: { locksmith_data_key: context.dataKeyId } });
  });

  it('ReEncrypt names source and destination keys and keeps the context', async () => {
    const provider = make();
    const context = randomContext();
    const old = await provider.generateDataKey(context);
    const next = kms.createKey();
    kms.setAlias(ALIAS, next.keyId);
    try {
      await provider.checkHealth(); // learns the alias moved
      const rewrapped = await provider.rewrapDataKey(old.wrapped, context);
      const body = lastRequest('ReEncrypt');
      expect(body).toMatchObject({ SourceKeyId: root.arn, DestinationKeyId: ALIAS });
      expect(body.SourceEncryptionContext).toEqual(body.DestinationEncryptionContext);
      expect(rewrapped.keyRef).toBe(next.arn);
    } finally {
      kms.setAlias(ALIAS, root.keyId);
    }
  });

  it('sends SigV4-signed requests with the configured access key', async () => {
    await make().checkHealth();
    expect(kms.requests.every((r) => r.accessKeyId === ACCESS_KEY_ID)).toBe(true);
  });

  it('falls back to the default credential chain (process.env) when the env handed over has no keys', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'AKIAFROMPROCESSENV01';
    process.env.AWS_SECRET_ACCESS_KEY = randomBytes(30).toString('base64');
    try {
      await make({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }).checkHealth();
      expect(kms.requests.at(-1)?.accessKeyId).toBe('AKIAFROMPROCESSENV01');
    } finally {
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
  });
});

describe('isCurrent and the configured key ARN', () => {
  it('answers false until the alias is resolved, then resolves it once via DescribeKey', async () => {
    const provider = make();
    const context = randomContext();
    const other = make();
    const wrapped = (await other.generateDataKey(context)).wrapped;
    kms.resetCounters();

    expect(provider.isCurrent(wrapped)).toBe(false);
    const first = await provider.rewrapDataKey(wrapped, context);
    const second = await provider.rewrapDataKey(wrapped, context);
    expect(kms.count('DescribeKey')).toBe(1);
    // Already under the configured key: returned unchanged, no ReEncrypt.
    expect(first).toBe(wrapped);
    expect(second).toBe(wrapped);
    expect(kms.count('ReEncrypt')).toBe(0);
    expect(provider.isCurrent(wrapped)).toBe(true);
  });

  it('needs no lookup when configured with a key ARN', async () => {
    const provider = make({ LOCKSMITH_KMS_KEY_ID: root.arn });
    expect(provider.isCurrent({ keyRef: root.arn, ciphertext: Buffer.from('x') })).toBe(true);
    expect(kms.count()).toBe(0);
  });

  it('works with a bare key id', async () => {
    const provider = make({ LOCKSMITH_KMS_KEY_ID: root.keyId });
    const context = randomContext();
    const generated = await provider.generateDataKey(context);
    expect(generated.wrapped.keyRef).toBe(root.arn);
    expect(provider.isCurrent(generated.wrapped)).toBe(true);
  });

  it('treats KMS automatic rotation (new key material, same ARN) as transparent', async () => {
    const provider = make();
    const context = randomContext();
    const generated = await provider.generateDataKey(context);
    kms.rotateKeyMaterial(root.keyId);
    expect(provider.isCurrent(generated.wrapped)).toBe(true);
    expect((await provider.unwrapDataKey(generated.wrapped, context)).equals(generated.plaintext)).toBe(true);
    const fresh = await provider.generateDataKey(context);
    expect((await provider.unwrapDataKey(fresh.wrapped, context)).equals(fresh.plaintext)).toBe(true);
  });

  it('logs (without secrets) when the configured alias starts resolving to another key', async () => {
    const logs: string[] = [];
    const provider = make({}, logs);
    await provider.checkHealth();
    const next = kms.createKey();
    kms.setAlias(ALIAS, next.keyId);
    try {
      await provider.generateDataKey(randomContext());
      expect(logs.join('\n')).toContain('configured KMS key now resolves to a new key');
    } finally {
      kms.setAlias(ALIAS, root.keyId);
    }
  });
});

describe('error mapping', () => {
  it('maps a disabled key to KEY_NOT_FOUND everywhere', async () => {
    const provider = make();
    const context = randomContext();
    const generated = await provider.generateDataKey(context);
    kms.setKeyState(root.keyId, 'Disabled');
    try {
      await failure(provider.unwrapDataKey(generated.wrapped, context), 'KEY_NOT_FOUND');
      await failure(provider.generateDataKey(context), 'KEY_NOT_FOUND');
      const health = await failure(provider.checkHealth(), 'KEY_NOT_FOUND');
      expect(health.message).toContain('not enabled');
    } finally {
      kms.setKeyState(root.keyId, 'Enabled');
    }
  });

  it('maps a key pending deletion (KMSInvalidStateException) to KEY_NOT_FOUND', async () => {
    const doomed = kms.createKey();
    const provider = make({ LOCKSMITH_KMS_KEY_ID: doomed.arn });
    const context = randomContext();
    const generated = await provider.generateDataKey(context);
    kms.setKeyState(doomed.keyId, 'PendingDeletion');
    await failure(provider.unwrapDataKey(generated.wrapped, context), 'KEY_NOT_FOUND');
  });

  it('maps an unknown alias to KEY_NOT_FOUND, also in checkHealth', async () => {
    const provider = make({ LOCKSMITH_KMS_KEY_ID: 'alias/does-not-exist' });
    await failure(provider.generateDataKey(randomContext()), 'KEY_NOT_FOUND');
    await failure(provider.checkHealth(), 'KEY_NOT_FOUND');
  });

  it('maps IncorrectKeyException and InvalidCiphertextException to INVALID_CIPHERTEXT', async () => {
    const provider = make();
    const context = randomContext();
    const generated = await provider.generateDataKey(context);
    kms.wrongKeyNext(1);
    await failure(provider.unwrapDataKey(generated.wrapped, context), 'INVALID_CIPHERTEXT');
    kms.unknownCiphertextNext(1);
    await failure(provider.unwrapDataKey(generated.wrapped, context), 'INVALID_CIPHERTEXT');
    expect(kms.count('Decrypt')).toBe(2); // not retried
  });

  it('refuses a blob from another KMS key presented under this keyRef (KeyId pinning)', async () => {
    const provider = make();
    const foreignKey = kms.createKey();
    const foreign = make({ LOCKSMITH_KMS_KEY_ID: foreignKey.arn });
    const context = randomContext();
    const planted = await foreign.generateDataKey(context);
    await failure(provider.unwrapDataKey({ keyRef: root.arn, ciphertext: planted.wrapped.ciphertext }, context), 'INVALID_CIPHERTEXT');
  });

  it('maps AccessDeniedException to PROVIDER_DENIED without retrying', async () => {
    const provider = make();
    const context = randomContext();
    const generated = await provider.generateDataKey(context);
    kms.errorNext(1, 'AccessDeniedException', { message: 'User: arn:aws:iam::111122223333:user/x is not authorized to perform: kms:Decrypt' });
    const error = await failure(provider.unwrapDataKey(generated.wrapped, context), 'PROVIDER_DENIED');
    expect(error.message).toContain('AccessDeniedException');
    expect(error.message).toContain('is not authorized to perform: kms:Decrypt');
    expect(kms.count('Decrypt')).toBe(1);
  });

  it('maps unknown credentials to PROVIDER_DENIED and never prints the secret key', async () => {
    const secret = randomBytes(30).toString('base64');
    const provider = make({ AWS_ACCESS_KEY_ID: 'AKIAUNKNOWNUNKNOWN00', AWS_SECRET_ACCESS_KEY: secret });
    const error = await failure(provider.checkHealth(), 'PROVIDER_DENIED');
    expect(error.message).not.toContain(secret);
    expect(JSON.stringify(error)).not.toContain(secret);
  });

  it('refuses a keyRef that is not a KMS key ARN without calling KMS', async () => {
    const provider = make();
    await failure(provider.unwrapDataKey({ keyRef: 'mk-local-1', ciphertext: randomBytes(60) }, randomContext()), 'KEY_NOT_FOUND');
    expect(kms.count()).toBe(0);
  });

  it('retries dropped connections', async () => {
    const provider = make();
    kms.dropNext(2, ['GenerateDataKey']);
    await provider.generateDataKey(randomContext());
    expect(kms.count('GenerateDataKey')).toBe(3);
  });

  it('makes exactly LOCKSMITH_KMS_MAX_ATTEMPTS attempts', async () => {
    const provider = make({ LOCKSMITH_KMS_MAX_ATTEMPTS: '1' });
    kms.failNext(1, { status: 503 });
    await failure(provider.generateDataKey(randomContext()), 'PROVIDER_UNAVAILABLE');
    expect(kms.count('GenerateDataKey')).toBe(1);
  });

  it('logs each retry without secrets', async () => {
    const logs: string[] = [];
    const provider = make({}, logs);
    kms.throttleNext(2);
    await provider.generateDataKey(randomContext());
    const retries = logs.filter((line) => line.includes('retrying'));
    expect(retries).toHaveLength(2);
    expect(retries[0]).toContain('ThrottlingException');
    expect(logs.join('\n')).not.toContain(SECRET_ACCESS_KEY);
  });
});

describe('mapKmsError', () => {
  it.each([
    ['ExpiredTokenException', 'PROVIDER_DENIED', { name: 'ExpiredTokenException', $metadata: { httpStatusCode: 400 } }],
    ['CredentialsProviderError', 'PROVIDER_DENIED', { name: 'CredentialsProviderError', message: 'Could not load credentials from any providers' }],
    ['InvalidKeyUsageException', 'MISCONFIGURED', { name: 'InvalidKeyUsageException', $metadata: { httpStatusCode: 400 } }],
    ['Error (Region is missing)', 'MISCONFIGURED', { name: 'Error', message: 'Region is missing' }],
    ['Error (ECONNREFUSED)', 'PROVIDER_UNAVAILABLE', { name: 'Error', code: 'ECONNREFUSED' }],
    ['TimeoutError', 'PROVIDER_UNAVAILABLE', { name: 'TimeoutError' }],
    ['AbortError', 'PROVIDER_UNAVAILABLE', { name: 'AbortError' }],
    ['KMSInternalException', 'PROVIDER_UNAVAILABLE', { name: 'KMSInternalException', $metadata: { httpStatusCode: 500 } }],
    ['KeyUnavailableException', 'PROVIDER_UNAVAILABLE', { name: 'KeyUnavailableException', $metadata: { httpStatusCode: 500 } }],
    ['ThrottlingException', 'PROVIDER_UNAVAILABLE', { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }],
    ['NotFoundException', 'KEY_NOT_FOUND', { name: 'NotFoundException', $metadata: { httpStatusCode: 400 } }],
  ])('%s -> %s', (_label, code, error) => {
    const mapped = mapKmsError(error, 'Decrypt');
    expect(mapped).toBeInstanceOf(KeyProviderError);
    expect(mapped.code).toBe(code);
    expect(mapped.cause).toBeUndefined();
  });

  it('scrubs key-like runs out of vendor messages', () => {
    const blob = randomBytes(48).toString('base64');
    const mapped = mapKmsError({ name: 'ValidationException', message: `bad value ${blob}` }, 'Encrypt');
    expect(mapped.message).not.toContain(blob);
  });
});
