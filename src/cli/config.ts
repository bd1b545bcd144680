import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { resolveEndpoint } from '../client/transport';
import { CliError, EXIT } from './exit-codes';
import { writePrivateFile } from './private-file';

/**
 * Where the CLI finds its server and token. Precedence, highest first:
 *   1. --url / --token
 *   2. LOCKSMITH_URL / LOCKSMITH_TOKEN
 *   3. the config file written by `locksmith login` (LOCKSMITH_CONFIG, else
 *      $XDG_CONFIG_HOME/locksmith/config.json, else ~/.config/locksmith/config.json)
 *   4. development only: with no token anywhere and a loopback URL, the developer API key that
 *      `npm start` saved in ./.locksmith/dev-credentials.json (or $LOCKSMITH_DATA_DIR), so the
 *      README quick start (`npm start`, then `npx locksmith ...`) works without a login step.
 * The URL defaults to http://127.0.0.1:4000 (the server's default).
 *
 * The config file's token is sent only to the config file's URL: `--url https://elsewhere`
 * must not leak a saved token to another server.
 */

export const DEFAULT_URL = 'http://127.0.0.1:4000';

export interface StoredConfig {
  url?: string;
  token?: string;
}

export interface Connection {
  readonly url: string;
  readonly token: string | undefined;
  /** Where the token came from, for `whoami` and error hints; never the token itself. */
  readonly tokenSource: 'flag' | 'env' | 'config' | 'dev-credentials' | 'none';
}

export type Env = Readonly<Record<string, string | undefined>>;

const set = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

export function configPath(env: Env): string {
  const explicit = set(env.LOCKSMITH_CONFIG);
  if (explicit) return resolve(explicit);
  const base = set(env.XDG_CONFIG_HOME) ?? join(set(env.HOME) ?? homedir(), '.config');
  return join(base, 'locksmith', 'config.json');
}

export function readConfig(path: string, warn: (message: string) => void): StoredConfig {
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new CliError(`config file ${path} is not valid JSON; fix it or run \`locksmith login\` again`, EXIT.USAGE);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliError(`config file ${path} must hold a JSON object`, EXIT.USAGE);
  }
  const { url, token } = parsed as Record<string, unknown>;
  if (token !== undefined && (statSync(path).mode & 0o077) !== 0) {
    warn(`config file ${path} holds a token and is readable by other users; run: chmod 600 ${path}`);
  }
  return {
    url: typeof url === 'string' ? url : undefined,
    token: typeof token === 'string' ? token : undefined,
  };
}

/** The file holds a bearer token: mode 0600 from the first byte, in a 0700 directory if we create it. */
export function writeConfig(path: string, config: StoredConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writePrivateFile(path, JSON.stringify(config, null, 2) + '\n');
}

function sameServer(a: string, b: string): boolean {
  try {
    return resolveEndpoint(a) === resolveEndpoint(b);
  } catch {
    return false;
  }
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
  } catch {
    return false;
  }
}

function devCredentialsToken(env: Env, cwd: string): string | undefined {
  const path = join(resolve(cwd, set(env.LOCKSMITH_DATA_DIR) ?? '.locksmith'), 'dev-credentials.json');
  if (!existsSync(path)) return undefined;
  try {
    const { apiKey } = JSON.parse(readFileSync(path, 'utf8')) as { apiKey?: unknown };
    return typeof apiKey === 'string' ? apiKey : undefined;
  } catch {
    return undefined;
  }
}

export function resolveConnection(
  flags: { url?: string | undefined; token?: string | undefined },
  env: Env,
  stored: StoredConfig,
  cwd: string,
): Connection {
  const url = set(flags.url) ?? set(env.LOCKSMITH_URL) ?? set(stored.url) ?? DEFAULT_URL;
  const flagToken = set(flags.token);
  if (flagToken) return { url, token: flagToken, tokenSource: 'flag' };
  const envToken = set(env.LOCKSMITH_TOKEN);
  if (envToken) return { url, token: envToken, tokenSource: 'env' };
  const storedToken = set(stored.token);
  if (storedToken && sameServer(url, stored.url ?? DEFAULT_URL)) return { url, token: storedToken, tokenSource: 'config' };
  const devToken = isLoopback(url) ? devCredentialsToken(env, cwd) : undefined;
  if (devToken) return { url, token: devToken, tokenSource: 'dev-credentials' };
  return { url, token: undefined, tokenSource: 'none' };
}
