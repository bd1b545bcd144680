import type { Kysely } from 'kysely';
import type { ApiKeyService, CreatedApiKey } from '../api-keys/service';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import type { TenantTransactions } from '../db/tenant-transaction';
import { NameTakenError, ValidationError } from '../errors';
import { newId } from '../ids';
import { DeveloperRepository } from './repository';

export interface Developer {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

const DEVELOPER_NAME = /^[\p{L}\p{N} _.@-]{1,128}$/u;

export class DeveloperService {
  private readonly repo: DeveloperRepository;

  constructor(private readonly deps: { db: Kysely<Database>; tenants: TenantTransactions; clock: Clock; apiKeys: ApiKeyService }) {
    this.repo = new DeveloperRepository(deps.db);
  }

  /** Creates a tenant and its first API key (all scopes) in one transaction. */
  async create(nameInput: unknown, requestId: string): Promise<{ developer: Developer; apiKey: CreatedApiKey }> {
    const name = typeof nameInput === 'string' ? nameInput.trim() : '';
    if (!DEVELOPER_NAME.test(name)) {
      throw new ValidationError('name', 'name must be 1-128 letters, digits, spaces or . @ - _');
    }
    const id = newId();
    // A tenant transaction like every other write: its first API key is audited on the new
    // tenant's chain, and a conflict retries the whole creation (one developer, one key).
    return this.deps.tenants.run(id, async (trx) => {
      const now = this.deps.clock.now();
      const row = { id, name, created_at: now };
      const repo = this.repo.with(trx);
      // Insert first (on SQLite the write takes the lock before the read), then refuse a name
      // another developer has: the transaction rolls back. Names are the admin's handle on
      // tenants (`developers create`, logs), so two of the same name would be ambiguous.
      await repo.insert(row);
      if ((await repo.findByName(name)).some((d) => d.id !== row.id)) {
        throw new NameTakenError(name, `a developer named "${name}" already exists`);
      }
      const apiKey = await this.deps.apiKeys.createIn(trx, { developerId: row.id, actorId: 'admin', requestId }, 'all', {
        name: 'default',
      });
      return { developer: toDeveloper(row), apiKey };
    });
  }

  async get(id: string): Promise<Developer | null> {
    const row = await this.repo.findById(id);
    return row ? toDeveloper(row) : null;
  }
}

function toDeveloper(row: { id: string; name: string; created_at: number }): Developer {
  return { id: row.id, name: row.name, createdAt: new Date(Number(row.created_at)) };
}
