import { randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import { KeyProviderError } from '../../src/crypto/key-provider';
import { loadKeyProvider } from '../../src/crypto/load-provider';
import { captureLogger, defineKeyProviderContract } from './key-provider.contract';

const support = join(__dirname, '..', 'support');
const options = { env: {}, dataDir: '/nonexistent', production: true };

defineKeyProviderContract({ expectedName: 'acme-hsm', remote: false }, async () => {
  const keys = [`k1:${randomBytes(32).toString('base64')}`];
  const logs: string[] = [];
  const create = () =>
    loadKeyProvider(join(support, 'third-party-key-provider.ts'), {
      env: { ACME_HSM_KEYS: keys.join(',') },
      dataDir: '/nonexistent',
      production: true,
      logger: captureLogger(logs),
    });
  return {
    create,
    async rotate() {
      keys.push(`k${keys.length + 1}:${randomBytes(32).toString('base64')}`);
      return create();
    },
    secrets: () => keys.map((k) => k.split(':')[1]!),
    logs,
    async teardown() {},
  };
});

describe('loading third-party key providers by module path', () => {
  async function loadError(path: string): Promise<KeyProviderError> {
    const error = await loadKeyProvider(path, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyProviderError);
    expect((error as KeyProviderError).code).toBe('MISCONFIGURED');
    return error as KeyProviderError;
  }

  it('loads a provider from a relative module path (resolved against the working directory)', async () => {
    const path = `./${relative(process.cwd(), join(support, 'third-party-key-provider'))}`;
    const provider = await loadKeyProvider(path, { ...options, env: { ACME_HSM_KEYS: `k1:${randomBytes(32).toString('base64')}` } });
    expect(provider.name).toBe('acme-hsm');
  });

  it('names the value when the module cannot be found', async () => {
    const error = await loadError(join(support, 'no-such-provider'));
    expect(error.message).toMatch(/neither a built-in provider.* nor a module that can be found/);
    expect(error.message).toContain('local, aws-kms, vault-transit');
  });

  it('says so when a module has no createKeyProvider export', async () => {
    const error = await loadError(join(support, 'not-a-key-provider.ts'));
    expect(error.message).toContain('does not export createKeyProvider');
  });

  it('says which method is missing when the factory returns an incomplete provider', async () => {
    const error = await loadError(join(support, 'incomplete-key-provider.ts'));
    expect(error.message).toMatch(/does not implement (wrapDataKey|unwrapDataKey|rewrapDataKey|isCurrent|checkHealth)\(\)/);
  });

  it('reports a module that throws while loading', async () => {
    const error = await loadError(join(support, 'broken-key-provider.ts'));
    expect(error.message).toContain('failed to load');
  });

  it('passes the factory’s own MISCONFIGURED error through', async () => {
    const error = await loadError(join(support, 'third-party-key-provider.ts'));
    expect(error.message).toContain('ACME_HSM_KEYS is required');
  });

  it.each(['aws-kms', 'vault-transit'])('built-in %s without settings is MISCONFIGURED, naming the missing variable', async (name) => {
    const error = await loadError(name);
    expect(error.message).toMatch(/LOCKSMITH_KMS_KEY_ID|VAULT_ADDR/);
  });
});
