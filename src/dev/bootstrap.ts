import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Services } from '../context';

/**
 * Development-mode conveniences, so `npm start` on a fresh clone just works: an admin token
 * and a default developer with an API key, kept in `<dataDir>/dev-credentials.json` (mode
 * 0600) and reused on restart. Never used in production, where the admin token comes from
 * LOCKSMITH_ADMIN_TOKEN and developers are created through the API.
 */
export interface DevCredentials {
  adminToken: string;
  developerId?: string;
  apiKey?: string;
}

function credentialsPath(dataDir: string): string {
  return join(dataDir, 'dev-credentials.json');
}

function save(dataDir: string, credentials: DevCredentials): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(credentialsPath(dataDir), JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
}

export function loadOrCreateDevCredentials(dataDir: string): DevCredentials {
  const path = credentialsPath(dataDir);
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as DevCredentials;
  const credentials = { adminToken: `lsa_${randomBytes(32).toString('base64url')}` };
  save(dataDir, credentials);
  return credentials;
}

/** Makes sure the default developer and its API key exist and still work. */
export async function ensureDevDeveloper(dataDir: string, credentials: DevCredentials, services: Services): Promise<Required<DevCredentials>> {
  if (credentials.developerId && credentials.apiKey) {
    const principal = await services.apiKeys.authenticate(credentials.apiKey);
    if (principal?.kind === 'developer' && principal.developerId === credentials.developerId) {
      return credentials as Required<DevCredentials>;
    }
  }
  const { developer, apiKey } = await services.developers.create('default', 'dev-bootstrap');
  const complete = { adminToken: credentials.adminToken, developerId: developer.id, apiKey: apiKey.token };
  save(dataDir, complete);
  return complete;
}
