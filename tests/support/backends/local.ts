import { randomBytes } from 'node:crypto';
import type { KeyProviderBackend, TestBackendDescriptor } from '../key-provider-backends';

/** The local provider: master keys in LOCKSMITH_MASTER_KEYS (newest last); nothing to start. */
export const localBackend: TestBackendDescriptor = {
  kind: 'local',
  remote: false,
  async start(): Promise<KeyProviderBackend> {
    const keys = [{ id: 'mk-1', key: randomBytes(32).toString('base64') }];
    return {
      kind: 'local',
      get env() {
        return { LOCKSMITH_KEY_PROVIDER: 'local', LOCKSMITH_MASTER_KEYS: keys.map((k) => `${k.id}:${k.key}`).join(',') };
      },
      requestCount: () => 0,
      unwrapRequestCount: () => 0,
      setLatency: () => {},
      stop: async () => {},
      start: async () => {},
      async rotateRootKey() {
        keys.push({ id: `mk-${keys.length + 1}`, key: randomBytes(32).toString('base64') });
      },
      currentKeyRef: () => keys[keys.length - 1]!.id,
      async retireOldRootKeys() {
        keys.splice(0, keys.length - 1);
      },
      close: async () => {},
    };
  },
};
