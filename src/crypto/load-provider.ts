import { isAbsolute, resolve } from 'node:path';
import { type KeyProvider, KeyProviderError, type KeyProviderFactory, type KeyProviderOptions } from './key-provider';

/**
 * Built-in provider names and the plugin module that implements each. Anything else given to
 * LOCKSMITH_KEY_PROVIDER is treated as a module path, so third parties ship providers without
 * touching this file. This table is the only place the core knows provider names.
 */
const BUILT_IN: Readonly<Record<string, string>> = {
  local: '../../plugins/key-provider-local',
  'aws-kms': '../../plugins/key-provider-aws-kms',
  'vault-transit': '../../plugins/key-provider-vault-transit',
};

/** `variable` is the setting that named the provider, for the error (LOCKSMITH_PREVIOUS_KEY_PROVIDERS names some). */
export function resolveProviderModule(nameOrPath: string, cwd = process.cwd(), variable = 'LOCKSMITH_KEY_PROVIDER'): string {
  const builtIn = BUILT_IN[nameOrPath];
  if (builtIn) return require.resolve(builtIn);
  const path = nameOrPath.startsWith('.') || isAbsolute(nameOrPath) ? resolve(cwd, nameOrPath) : nameOrPath;
  try {
    return require.resolve(path);
  } catch {
    throw new KeyProviderError(
      'MISCONFIGURED',
      `${variable}: "${nameOrPath}" is neither a built-in provider nor a module that can be found: ` +
        `set it to ${Object.keys(BUILT_IN).join(', ')} or the path of a module that exports createKeyProvider`,
    );
  }
}

export async function loadKeyProvider(nameOrPath: string, options: KeyProviderOptions, variable = 'LOCKSMITH_KEY_PROVIDER'): Promise<KeyProvider> {
  const modulePath = resolveProviderModule(nameOrPath, process.cwd(), variable);
  let mod: { createKeyProvider?: unknown; default?: { createKeyProvider?: unknown } };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(modulePath);
  } catch (error) {
    throw new KeyProviderError('MISCONFIGURED', `key provider module "${nameOrPath}" failed to load: ${(error as Error).message}`);
  }
  const factory = (mod.createKeyProvider ?? mod.default?.createKeyProvider) as KeyProviderFactory | undefined;
  if (typeof factory !== 'function') {
    throw new KeyProviderError('MISCONFIGURED', `key provider module "${nameOrPath}" does not export createKeyProvider(options)`);
  }
  const provider = await factory(options);
  for (const method of ['generateDataKey', 'wrapDataKey', 'unwrapDataKey', 'rewrapDataKey', 'isCurrent', 'checkHealth'] as const) {
    if (typeof (provider as unknown as Record<string, unknown>)?.[method] !== 'function') {
      throw new KeyProviderError('MISCONFIGURED', `key provider "${nameOrPath}" does not implement ${method}()`);
    }
  }
  if (typeof provider.name !== 'string' || provider.name === '') {
    throw new KeyProviderError('MISCONFIGURED', `key provider "${nameOrPath}" has no name`);
  }
  return provider;
}
