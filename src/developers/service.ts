import type { Kysely } from 'kysely';
import type { ApiKeyService, CreatedApiKey } from '../api-keys/service';
import { GENESIS_HASH } from '../audit/audit-log';
import type { Clock } from '../clock';
import type { Database } from '../db/database';
import { ValidationError } from '../errors';
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

  constructor(private readonly deps: { db: Kysely<Database>; clock: Clock; apiKeys: ApiKeyService }) {
    this.repo = new DeveloperRepository(deps.db);
  }

  /** Creates a tenant and its first API key (all scopes) in one transaction. */
  async create(nameInput: unknown, requestId: string): Promise<{ developer: Developer; apiKey: CreatedApiKey }> {
    const name = typeof nameInput === 'string' ? nameInput.trim() : '';
    if (!DEVELOPER_NAME.test(name)) {
      throw new ValidationError('name', 'name must be 1-128 letters, digits, spaces or . @ - _');
    }
    return this.deps.db.transaction().execute(async (trx) => {
      const now = this.deps.clock.now();
      const row = { id: newId(), name, created_at: now, audit_seq: 0, audit_head: GENESIS_HASH };
      await this.repo.with(trx).insert(row);
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
