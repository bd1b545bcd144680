import { type KeyProvider, KeyProviderError, type KeyProviderOptions } from './key-provider';
import { loadKeyProvider } from './load-provider';

/**
 * The providers a process holds, in the shape of an AWS Encryption SDK multi-keyring: one
 * primary (generates and wraps every new data key; the target of `keys rewrap`) and any number
 * of previous providers that only unwrap the data keys they wrapped, while a move from one
 * provider to another is under way. A data_keys row names its provider; lookups go by that
 * name (`KeyProvider.name`), so the core never needs to know which providers exist.
 * The procedure for moving between providers is written once, in docs/encryption.md ("Moving
 * to another key provider").
 */
export class KeyProviderSet {
  private readonly byName: ReadonlyMap<string, KeyProvider>;

  constructor(
    readonly primary: KeyProvider,
    readonly previous: readonly KeyProvider[] = [],
  ) {
    const byName = new Map<string, KeyProvider>();
    for (const provider of [primary, ...previous]) {
      if (byName.has(provider.name)) {
        throw new KeyProviderError(
          'MISCONFIGURED',
          `key provider "${provider.name}" is configured twice; list each provider once (a new root key within one provider is a rewrap)`,
        );
      }
      byName.set(provider.name, provider);
    }
    this.byName = byName;
  }

  /** Every provider, primary first. */
  get all(): readonly KeyProvider[] {
    return [this.primary, ...this.previous];
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The provider that wrapped a stored data key (the row's `provider` column). */
  forName(name: string): KeyProvider {
    const provider = this.byName.get(name);
    if (!provider) {
      throw new KeyProviderError(
        'MISCONFIGURED',
        `a data key is wrapped by key provider "${name}", which is not configured here (configured: ${this.names.join(', ')}); ` +
          `add it to LOCKSMITH_PREVIOUS_KEY_PROVIDERS until \`locksmith keys rewrap\` has moved its keys`,
      );
    }
    return provider;
  }

  /**
   * The same providers with `target` as primary and the others demoted to previous (a rewrap
   * towards a provider the server does not use yet). `target` may already be in the set.
   */
  withPrimary(target: KeyProvider): KeyProviderSet {
    if (target === this.primary) return this;
    const rest = this.all.filter((p) => p.name !== target.name);
    return new KeyProviderSet(target, rest);
  }

  /** Readiness: every configured provider, since any of them may be needed to read a secret. */
  async checkHealth(): Promise<void> {
    await Promise.all(this.all.map((p) => p.checkHealth()));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.all.map((p) => p.close?.()));
  }
}

/** Loads the primary and previous providers (names or module paths), all configured from the same options. */
export async function loadKeyProviderSet(
  primary: string,
  previous: readonly string[],
  options: KeyProviderOptions,
): Promise<KeyProviderSet> {
  const loaded: KeyProvider[] = [];
  try {
    loaded.push(await loadKeyProvider(primary, options));
    for (const nameOrPath of previous) loaded.push(await loadKeyProvider(nameOrPath, options, 'LOCKSMITH_PREVIOUS_KEY_PROVIDERS'));
    return new KeyProviderSet(loaded[0]!, loaded.slice(1));
  } catch (error) {
    await Promise.allSettled(loaded.map((p) => p.close?.()));
    throw error;
  }
}

/** The settings a process's key providers are loaded from (a slice of Config). */
export interface KeyProviderSettings {
  readonly keyProvider: string;
  readonly previousKeyProviders: readonly string[];
  readonly env: KeyProviderOptions['env'];
  readonly dataDir: string;
  readonly production: boolean;
}

/** The configured providers, loaded as every process loads them (server, operator CLI), with the options they were loaded with. */
export async function openKeyProviders(
  settings: KeyProviderSettings,
  logger: KeyProviderOptions['logger'],
  clock: NonNullable<KeyProviderOptions['clock']>,
): Promise<{ providers: KeyProviderSet; options: KeyProviderOptions }> {
  const options: KeyProviderOptions = { env: settings.env, dataDir: settings.dataDir, production: settings.production, logger, clock };
  return { providers: await loadKeyProviderSet(settings.keyProvider, settings.previousKeyProviders, options), options };
}
