/**
 * `local` key provider: AES-256 master keys held by this process, from `LOCKSMITH_MASTER_KEYS`
 * (`id:base64,id:base64`, newest last) or a keyring file (`LOCKSMITH_MASTER_KEY_FILE`, default
 * `<dataDir>/master-keys.json`). The newest key wraps new data keys; every listed key still
 * unwraps, so rotation is "append a key, then `locksmith keys rewrap`".
 *
 * In development, when no key is configured, a keyring file with one fresh key is created with
 * mode 0600 (marked `"generatedBy": "development bootstrap"`) and reused on restart. In
 * production the key must be configured explicitly (LOCKSMITH_MASTER_KEYS or
 * LOCKSMITH_MASTER_KEY_FILE; `locksmith init` makes either): silently inventing a root key there
 * would make every secret unreadable after the next deploy, and silently adopting the dev
 * keyring would tie production to a key nobody backed up.
 *
 * Keyring file format (JSON, mode 0600, newest key last):
 *   {"keys": [{"id": "mk-20261201T120000-a1b2c3", "key": "<32 bytes, base64>", "createdAt": "..."}]}
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  type EncryptionContext,
  encodeEncryptionContext,
  type GeneratedDataKey,
  type KeyProvider,
  KeyProviderError,
  type KeyProviderOptions,
  type WrappedKey,
} from '../../src/crypto/key-provider';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = Buffer.from('lsl1', 'ascii'); // format marker, so a future layout can coexist
const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}

interface KeyringFile {
  keys: Array<{ id: string; key: string; createdAt?: string }>;
  /** Set on keyrings the development bootstrap invented, which production refuses to pick up by default. */
  generatedBy?: string;
}

const DEV_GENERATED = 'development bootstrap';

export function parseMasterKeys(spec: string): MasterKey[] {
  const keys = spec
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part, index) => {
      const colon = part.indexOf(':');
      if (colon <= 0) {
        throw new KeyProviderError(
          'MISCONFIGURED',
          `LOCKSMITH_MASTER_KEYS entry ${index + 1} must be "id:base64key" (comma-separated, newest last; \`locksmith init\` prints one)`,
        );
      }
      return toMasterKey(part.slice(0, colon), part.slice(colon + 1), `LOCKSMITH_MASTER_KEYS entry ${index + 1}`);
    });
  return checkKeyring(keys, 'LOCKSMITH_MASTER_KEYS');
}

function toMasterKey(id: string, base64: string, where: string): MasterKey {
  if (!KEY_ID_PATTERN.test(id)) {
    throw new KeyProviderError('MISCONFIGURED', `${where}: key id must match ${KEY_ID_PATTERN}`);
  }
  const key = Buffer.from(base64, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new KeyProviderError('MISCONFIGURED', `${where}: key "${id}" must be ${KEY_BYTES} bytes of base64 (\`locksmith init\` generates one)`);
  }
  return { id, key };
}

function checkKeyring(keys: MasterKey[], where: string): MasterKey[] {
  if (keys.length === 0) throw new KeyProviderError('MISCONFIGURED', `${where} holds no master key`);
  const seen = new Set<string>();
  for (const { id } of keys) {
    if (seen.has(id)) throw new KeyProviderError('MISCONFIGURED', `${where}: duplicate master key id "${id}"`);
    seen.add(id);
  }
  return keys;
}

export function readKeyringFile(path: string): MasterKey[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new KeyProviderError('MISCONFIGURED', `LOCKSMITH_MASTER_KEY_FILE: cannot read the keyring file ${path} (${code}): check the path and that this user may read it`);
  }
  let parsed: KeyringFile;
  try {
    parsed = JSON.parse(text) as KeyringFile;
  } catch {
    // Not the parser's message: it quotes the text around the error, which is key material.
    throw new KeyProviderError('MISCONFIGURED', `LOCKSMITH_MASTER_KEY_FILE: the keyring file ${path} is not valid JSON: restore it from its backup`);
  }
  if (!parsed || !Array.isArray(parsed.keys)) {
    throw new KeyProviderError('MISCONFIGURED', `LOCKSMITH_MASTER_KEY_FILE: the keyring file ${path} must be {"keys":[{"id","key"}]} (docs/operations.md)`);
  }
  const mode = statSync(path).mode & 0o077;
  if (mode !== 0 && process.platform !== 'win32') {
    throw new KeyProviderError('MISCONFIGURED', `LOCKSMITH_MASTER_KEY_FILE: the keyring file ${path} is readable by group/others: chmod 600 it`);
  }
  return checkKeyring(
    parsed.keys.map((entry, index) => toMasterKey(String(entry.id), String(entry.key), `${path} key ${index + 1}`)),
    path,
  );
}

export function newMasterKeyId(now = new Date()): string {
  return `mk-${now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomBytes(3).toString('hex')}`;
}

/** Appends a fresh master key to a keyring file (creating it, mode 0600). Returns the new key id. */
export function appendMasterKey(path: string, options: { generatedBy?: string } = {}): string {
  const existing: KeyringFile = existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as KeyringFile)
    : { keys: [], ...(options.generatedBy ? { generatedBy: options.generatedBy } : {}) };
  const id = newMasterKeyId();
  existing.keys.push({ id, key: randomBytes(KEY_BYTES).toString('base64'), createdAt: new Date().toISOString() });
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, JSON.stringify(existing, null, 2) + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
  return id;
}

/**
 * Writes a new keyring file with one fresh key, for `locksmith init`: mode 0600 from the first
 * byte, and never over an existing file (that could destroy the only copy of a root key).
 * Returns the new key id.
 */
export function createKeyringFile(path: string): string {
  const id = newMasterKeyId();
  const keyring: KeyringFile = { keys: [{ id, key: randomBytes(KEY_BYTES).toString('base64'), createdAt: new Date().toISOString() }] };
  try {
    writeFileSync(path, JSON.stringify(keyring, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new KeyProviderError('MISCONFIGURED', `${path} already exists: init never overwrites a keyring (choose another path)`);
    if (code === 'ENOENT') throw new KeyProviderError('MISCONFIGURED', `the folder of ${path} does not exist: create it first (mode 0700)`);
    throw new KeyProviderError('MISCONFIGURED', `cannot write ${path} (${code ?? 'error'})`);
  }
  chmodSync(path, 0o600);
  return id;
}

/** A fresh `LOCKSMITH_MASTER_KEYS` value (one key), for `locksmith init`. */
export function newMasterKeysSpec(): string {
  return `${newMasterKeyId()}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

function isDevGenerated(path: string): boolean {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as KeyringFile).generatedBy === DEV_GENERATED;
  } catch {
    return false;
  }
}

export class LocalKeyProvider implements KeyProvider {
  readonly name = 'local';
  private readonly byId: Map<string, Buffer>;
  private readonly newest: MasterKey;

  constructor(keys: readonly MasterKey[]) {
    checkKeyring([...keys], 'local key provider');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
    this.newest = keys[keys.length - 1]!;
  }

  async generateDataKey(context: EncryptionContext): Promise<GeneratedDataKey> {
    const plaintext = randomBytes(KEY_BYTES);
    return { plaintext, wrapped: this.wrapWith(this.newest, plaintext, context) };
  }

  async wrapDataKey(plaintext: Buffer, context: EncryptionContext): Promise<WrappedKey> {
    if (plaintext.length !== KEY_BYTES) throw new KeyProviderError('INVALID_CIPHERTEXT', 'data key must be 32 bytes');
    return this.wrapWith(this.newest, plaintext, context);
  }

  async unwrapDataKey(wrapped: WrappedKey, context: EncryptionContext): Promise<Buffer> {
    const master = this.byId.get(wrapped.keyRef);
    if (!master) {
      throw new KeyProviderError('KEY_NOT_FOUND', `master key "${wrapped.keyRef}" is not in the keyring`);
    }
    const blob = wrapped.ciphertext;
    if (blob.length !== FORMAT.length + NONCE_BYTES + KEY_BYTES + TAG_BYTES || !blob.subarray(0, FORMAT.length).equals(FORMAT)) {
      throw new KeyProviderError('INVALID_CIPHERTEXT', 'wrapped data key has an unknown format');
    }
    const nonce = blob.subarray(FORMAT.length, FORMAT.length + NONCE_BYTES);
    const body = blob.subarray(FORMAT.length + NONCE_BYTES, blob.length - TAG_BYTES);
    const tag = blob.subarray(blob.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', master, nonce);
      decipher.setAAD(aadFor(wrapped.keyRef, context));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new KeyProviderError('INVALID_CIPHERTEXT', 'wrapped data key failed authentication (wrong key or context)');
    }
  }

  async rewrapDataKey(wrapped: WrappedKey, context: EncryptionContext): Promise<WrappedKey> {
    if (this.isCurrent(wrapped)) return wrapped;
    const plaintext = await this.unwrapDataKey(wrapped, context);
    try {
      return this.wrapWith(this.newest, plaintext, context);
    } finally {
      plaintext.fill(0);
    }
  }

  isCurrent(wrapped: WrappedKey): boolean {
    return wrapped.keyRef === this.newest.id;
  }

  async checkHealth(): Promise<void> {
    // Keys are in memory: nothing can be unreachable.
  }

  private wrapWith(master: MasterKey, plaintext: Buffer, context: EncryptionContext): WrappedKey {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', master.key, nonce);
    cipher.setAAD(aadFor(master.id, context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { keyRef: master.id, ciphertext: Buffer.concat([FORMAT, nonce, body, cipher.getAuthTag()]) };
  }
}

function aadFor(keyId: string, context: EncryptionContext): Buffer {
  return Buffer.concat([Buffer.from(`locksmith-local-wrap|${keyId}|`, 'utf8'), encodeEncryptionContext(context)]);
}

export function keyringPath(options: KeyProviderOptions): string {
  return options.env.LOCKSMITH_MASTER_KEY_FILE || join(options.dataDir, 'master-keys.json');
}

export function createKeyProvider(options: KeyProviderOptions): KeyProvider {
  const inline = options.env.LOCKSMITH_MASTER_KEYS;
  if (inline && inline.trim() !== '') return new LocalKeyProvider(parseMasterKeys(inline));

  const explicitFile = options.env.LOCKSMITH_MASTER_KEY_FILE?.trim();
  const path = keyringPath(options);
  if (options.production) {
    // Production takes only a key it was given: the default path may hold a keyring that
    // `npm start` invented in development, and adopting it silently would tie production's
    // secrets to a key nobody backed up.
    if (!explicitFile) {
      const found = existsSync(path)
        ? isDevGenerated(path)
          ? `; ${path} was generated by the development bootstrap: set LOCKSMITH_MASTER_KEY_FILE=${path} to use it on purpose`
          : `; to use ${path}, set LOCKSMITH_MASTER_KEY_FILE=${path}`
        : '';
      throw new KeyProviderError(
        'MISCONFIGURED',
        `no master key: production needs LOCKSMITH_MASTER_KEYS or LOCKSMITH_MASTER_KEY_FILE (\`locksmith init\` generates either)${found}`,
      );
    }
    if (!existsSync(path)) {
      throw new KeyProviderError('MISCONFIGURED', `LOCKSMITH_MASTER_KEY_FILE: no keyring file at ${path} (\`locksmith init --key-file ${path}\` creates one)`);
    }
    if (isDevGenerated(path)) {
      options.logger?.warn({ path }, 'using a master keyring the development bootstrap generated (configured explicitly)');
    }
    return new LocalKeyProvider(readKeyringFile(path));
  }
  if (!existsSync(path)) {
    const id = appendMasterKey(path, { generatedBy: DEV_GENERATED });
    options.logger?.info({ keyId: id, path }, 'generated a local master key (development mode)');
  }
  return new LocalKeyProvider(readKeyringFile(path));
}
