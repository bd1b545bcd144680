import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyProviderError } from '../../src/crypto/key-provider';
import { loadKeyProvider } from '../../src/crypto/load-provider';
import { captureLogger, defineKeyProviderContract } from './key-provider.contract';

defineKeyProviderContract({ expectedName: 'local', remote: false }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'locksmith-local-contract-'));
  const keys = [{ id: 'mk-1', key: randomBytes(32) }];
  const logs: string[] = [];
  const create = () =>
    loadKeyProvider('local', {
      env: { LOCKSMITH_MASTER_KEYS: keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',') },
      dataDir,
      production: true,
      logger: captureLogger(logs),
    });
  return {
    create,
    // Local rotation is "append a master key, restart": the keyring is read at start-up.
    async rotate() {
      keys.push({ id: `mk-${keys.length + 1}`, key: randomBytes(32) });
      return create();
    },
    secrets: () => keys.flatMap((k) => [k.key.toString('base64'), k.key.toString('hex')]),
    logs,
    async teardown() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});

describe('local provider start-up', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'locksmith-local-start-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates a 0600 keyring in development and reuses it after a restart', async () => {
    const logs: string[] = [];
    const first = await loadKeyProvider('local', { env: {}, dataDir, production: false, logger: captureLogger(logs) });
    const context = { developerId: 'd1', dataKeyId: 'k1' };
    const generated = await first.generateDataKey(context);
    expect(statSync(join(dataDir, 'master-keys.json')).mode & 0o777).toBe(0o600);
    const second = await loadKeyProvider('local', { env: {}, dataDir, production: false });
    expect((await second.unwrapDataKey(generated.wrapped, context)).equals(generated.plaintext)).toBe(true);
    expect(logs.join('\n')).toContain('generated a local master key');
  });

  it('refuses to invent a root key in production', async () => {
    await expect(loadKeyProvider('local', { env: {}, dataDir, production: true })).rejects.toMatchObject({
      name: 'KeyProviderError',
      code: 'MISCONFIGURED',
    });
  });

  it('rejects a malformed LOCKSMITH_MASTER_KEYS without echoing it', async () => {
    const secretish = randomBytes(16).toString('base64');
    const error = await loadKeyProvider('local', { env: { LOCKSMITH_MASTER_KEYS: `k1:${secretish}` }, dataDir, production: true }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KeyProviderError);
    expect((error as KeyProviderError).code).toBe('MISCONFIGURED');
    expect((error as Error).message).not.toContain(secretish);
  });
});
