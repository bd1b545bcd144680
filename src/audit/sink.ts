import { closeSync, openSync, writeSync } from 'node:fs';
import type { Config } from '../config';
import type { AuditEventRow } from '../db/database';

/**
 * Audit streaming (LOCKSMITH_AUDIT_LOG=stdout|file:<path>), in the manner of Vault's audit
 * devices: every audit record, once committed, is also written as one JSON line for a SIEM or
 * log shipper. The database stays the record of truth (and what `verifyAuditLog` checks); the
 * stream carries each record's chain hash, so a copy kept elsewhere can be checked against it.
 *
 * Records never hold a value or a token (the audit log stores none), so neither does the
 * stream. Lines are written synchronously from the after-commit hook, so they come out in
 * commit order per chain and a crash loses at most what had not committed.
 */

/** One streamed record; `locksmith audit export --format jsonl` prints the same shape. */
export interface AuditLine {
  readonly type: 'audit';
  readonly id: string;
  readonly developerId: string;
  readonly chain: string;
  readonly seq: number;
  readonly action: string;
  readonly secretName: string | null;
  readonly version: number | null;
  readonly actor: string | null;
  readonly requestId: string | null;
  readonly at: string;
  readonly detail: Record<string, unknown> | null;
  readonly prevHash: string;
  readonly hash: string;
}

export function auditLineOf(row: AuditEventRow): AuditLine {
  return {
    type: 'audit',
    id: row.id,
    developerId: row.developer_id,
    chain: row.chain_id,
    seq: Number(row.seq),
    action: row.action,
    secretName: row.secret_name,
    version: row.version,
    actor: row.actor,
    requestId: row.request_id,
    at: new Date(Number(row.at)).toISOString(),
    detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export interface AuditSink {
  /** The after-commit hook: writes the records a transaction made durable. */
  write(records: readonly AuditEventRow[]): void;
  /** Log rotation (SIGHUP): close the file and open the path again. */
  reopen(): void;
  close(): void;
}

export function createAuditSink(setting: NonNullable<Config['auditLog']>, stdoutFd = 1): AuditSink {
  const render = (records: readonly AuditEventRow[]) => records.map((r) => JSON.stringify(auditLineOf(r)) + '\n').join('');
  if (setting.kind === 'stdout') {
    return {
      // fd 1 directly: the same stream as the logger, each batch in one write, never buffered behind it.
      write: (records) => void writeSync(stdoutFd, render(records)),
      reopen: () => {},
      close: () => {},
    };
  }
  // Owner-only: the trail names secrets and actors. Append mode, so rotation by rename is safe.
  const open = () => openSync(setting.path, 'a', 0o600);
  let fd = open();
  return {
    write(records) {
      writeSync(fd, render(records));
    },
    reopen() {
      const next = open(); // open the new file before closing the old: no record lands nowhere
      const old = fd;
      fd = next;
      closeSync(old);
    },
    close() {
      closeSync(fd);
    },
  };
}
