/**
 * Which databases the suite runs over, on its own (no database driver loaded), so that
 * scripts/test-providers.ts can read it too; tests/support/databases.ts re-exports it.
 */
export type DatabaseKind = 'sqlite' | 'mysql';

const ALL_DATABASE_KINDS: readonly DatabaseKind[] = ['sqlite', 'mysql'];

/**
 * The databases the suite runs over: LOCKSMITH_TEST_DATABASES (comma-separated, e.g. `sqlite`
 * to run without MariaDB), default both.
 */
export function testDatabaseKinds(env: Readonly<Record<string, string | undefined>> = process.env): DatabaseKind[] {
  const listed = (env.LOCKSMITH_TEST_DATABASES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (listed.length === 0) return [...ALL_DATABASE_KINDS];
  for (const kind of listed) {
    if (!(ALL_DATABASE_KINDS as readonly string[]).includes(kind)) {
      throw new Error(`LOCKSMITH_TEST_DATABASES: "${kind}" is not one of ${ALL_DATABASE_KINDS.join(', ')}`);
    }
  }
  return ALL_DATABASE_KINDS.filter((kind) => listed.includes(kind));
}

export const DATABASE_KINDS: readonly DatabaseKind[] = testDatabaseKinds();
