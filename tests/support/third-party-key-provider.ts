/**
 * A stand-in for a third party's key provider (think: an HSM vendor's plugin), loaded by module
 * path through LOCKSMITH_KEY_PROVIDER. It deliberately shares no code with the built-in plugins:
 * it proves the public interface in src/crypto/key-provider.ts is enough to write one.
 *
 * Keys come from ACME_HSM_KEYS (`id:base64,...`, newest last). Wrapped format: nonce|ct|tag,
 * keyRef = key id, AES-256-GCM with the encoded EncryptionContext as associated data.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  type EncryptionContext,
  encodeEncryptionContext,
  type KeyProvider,
  KeyProviderError,
  type KeyProviderOptions,
  type WrappedKey,
} from '../../src/crypto/key-provider';

export function createKeyProvider(options: KeyProviderOptions): KeyProvider {
  const spec = options.env.ACME_HSM_KEYS;
  if (!spec) throw new KeyProviderError('MISCONFIGURED', 'ACME_HSM_KEYS is required');
  const keys = new Map<string, Buffer>();
  let newest = '';
  for (const part of spec.split(',')) {
    const [id, b64] = part.split(':');
    if (!id || !b64 || Buffer.from(b64, 'base64').length !== 32) throw new KeyProviderError('MISCONFIGURED', 'bad ACME_HSM_KEYS entry');
    keys.set(id, Buffer.from(b64, 'base64'));
    newest = id;
  }

  const wrap = (plaintext: Buffer, context: EncryptionContext): WrappedKey => {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', keys.get(newest)!, nonce);
    cipher.setAAD(encodeEncryptionContext(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { keyRef: newest, ciphertext: Buffer.concat([nonce, body, cipher.getAuthTag()]) };
  };
  const unwrap = (wrapped: WrappedKey, context: EncryptionContext): Buffer => {
    const key = keys.get(wrapped.keyRef);
    if (!key) throw new KeyProviderError('KEY_NOT_FOUND', 'unknown HSM key');
    const c = wrapped.ciphertext;
    if (c.length !== 12 + 32 + 16) throw new KeyProviderError('INVALID_CIPHERTEXT', 'bad wrapped key');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, c.subarray(0, 12));
      decipher.setAAD(encodeEncryptionContext(context));
      decipher.setAuthTag(c.subarray(c.length - 16));
      return Buffer.concat([decipher.update(c.subarray(12, c.length - 16)), decipher.final()]);
    } catch {
      throw new KeyProviderError('INVALID_CIPHERTEXT', 'wrapped key failed authentication');
    }
  };

  return {
    name: 'acme-hsm',
    async generateDataKey(context) {
      const plaintext = randomBytes(32);
      return { plaintext, wrapped: wrap(plaintext, context) };
    },
    async wrapDataKey(plaintext, context) {
      if (plaintext.length !== 32) throw new KeyProviderError('INVALID_CIPHERTEXT', 'data key must be 32 bytes');
      return wrap(plaintext, context);
    },
    async unwrapDataKey(wrapped, context) {
      return unwrap(wrapped, context);
    },
    async rewrapDataKey(wrapped, context) {
      if (wrapped.keyRef === newest) return wrapped;
      const plaintext = unwrap(wrapped, context);
      try {
        return wrap(plaintext, context);
      } finally {
        plaintext.fill(0);
      }
    },
    isCurrent: (wrapped) => wrapped.keyRef === newest,
    async checkHealth() {},
  };
}
