/** Classifies driver errors the same way on MySQL/MariaDB (errno) and SQLite (code). */

/** Duplicate key: MySQL ER_DUP_ENTRY 1062, SQLite UNIQUE / PRIMARY KEY. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { errno?: number; code?: string };
  return e?.errno === 1062 || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** A row still referenced by a child row: MySQL ER_ROW_IS_REFERENCED(_2) 1217/1451, SQLite FOREIGNKEY. */
export function isForeignKeyViolation(error: unknown): boolean {
  const e = error as { errno?: number; code?: string };
  return e?.errno === 1451 || e?.errno === 1217 || e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/**
 * A transaction lost a race it can simply run again: MySQL ER_LOCK_DEADLOCK 1213 (on Galera also
 * a certification conflict with a transaction committed on another node), ER_LOCK_WAIT_TIMEOUT
 * 1205, ER_UNKNOWN_COM_ERROR 1047 (Galera: "WSREP has not yet prepared node for application use",
 * while a node joins or resyncs), SQLite BUSY, and our own TransactionConflict. In every case the
 * transaction was rolled back, so nothing of it is left behind.
 */
export function isRetryableConflict(error: unknown): boolean {
  const e = error as { errno?: number; code?: string };
  return (
    error instanceof TransactionConflict ||
    e?.errno === 1213 ||
    e?.errno === 1205 ||
    e?.errno === 1047 ||
    e?.code === 'SQLITE_BUSY'
  );
}

/** Thrown inside a transaction that found a concurrent writer got there first: run it again. */
export class TransactionConflict extends Error {
  override readonly name = 'TransactionConflict';
}
