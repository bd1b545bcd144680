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
