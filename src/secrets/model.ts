import { dateFromMillis } from '../clock';
import type { SecretRow } from '../db/database';
import { decodeCursor, encodeCursor } from '../pagination';
import type { VersionSummary } from './repository';
import type { Metadata } from './validation';

/** A secret as the API sees it: never holds the value. */
export interface Secret {
  readonly id: string;
  readonly developerId: string;
  readonly name: string;
  readonly description: string | null;
  readonly metadata: Metadata;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly deletedAt: Date | null;
  readonly purgeAt: Date | null;
  readonly rotateEveryDays: number | null;
  readonly rotationDueAt: Date | null;
  readonly expiresAt: Date | null;
  readonly valueChangedAt: Date;
  readonly lastRevealedAt: Date | null;
  /** Hosts tasks may send this secret (or data derived from it) to; empty: not bound. */
  readonly allowedHosts: readonly string[];
}

export interface SecretVersionInfo {
  readonly secretId: string;
  readonly developerId: string;
  readonly version: number;
  readonly createdAt: Date;
  readonly createdBy: string | null;
  readonly destroyedAt: Date | null;
}


export function toSecret(row: SecretRow): Secret {
  return {
    id: row.id,
    developerId: row.developer_id,
    name: row.name,
    description: row.description,
    metadata: JSON.parse(row.metadata) as Metadata,
    version: row.current_version,
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
    deletedAt: dateFromMillis(row.deleted_at),
    purgeAt: dateFromMillis(row.purge_at),
    rotateEveryDays: row.rotate_every_days,
    rotationDueAt: dateFromMillis(row.rotation_due_at),
    expiresAt: dateFromMillis(row.expires_at),
    valueChangedAt: new Date(Number(row.value_changed_at)),
    lastRevealedAt: dateFromMillis(row.last_revealed_at),
    allowedHosts: row.allowed_hosts === null || row.allowed_hosts === undefined ? [] : (JSON.parse(row.allowed_hosts) as string[]),
  };
}

export function toVersionInfo(secret: Pick<Secret, 'id' | 'developerId'>, row: VersionSummary): SecretVersionInfo {
  return {
    secretId: secret.id,
    developerId: secret.developerId,
    version: row.version,
    createdAt: new Date(Number(row.created_at)),
    createdBy: row.created_by,
    destroyedAt: dateFromMillis(row.destroyed_at),
  };
}

export const encodeSecretCursor = (secret: Pick<Secret, 'name' | 'id'>) => encodeCursor('s', secret.name, secret.id);

export function decodeSecretCursor(cursor: string): { name: string; id: string } {
  const [name, id] = decodeCursor(cursor, 's', ['string', 'string']) as [string, string];
  return { name, id };
}

export const encodeVersionCursor = (version: number) => encodeCursor('v', version);

export const decodeVersionCursor = (cursor: string) => decodeCursor(cursor, 'v', ['number'])[0] as number;
