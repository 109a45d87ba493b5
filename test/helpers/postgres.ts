import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL server the tests use: HOOKRELAY_TEST_DATABASE_URL, else DATABASE_URL (.ci/run starts
 * one and sets it). Without either the PostgreSQL tests skip with this reason, except in CI, where a
 * missing database is a failure rather than a quiet skip.
 */
export const testDatabaseUrl = process.env.HOOKRELAY_TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;

if (!testDatabaseUrl && process.env.CI) {
  throw new Error('CI must run the PostgreSQL tests: set DATABASE_URL (.ci/run starts PostgreSQL and sets it)');
}

export const skipWithoutPostgres = testDatabaseUrl
  ? false
  : 'no PostgreSQL: set HOOKRELAY_TEST_DATABASE_URL or DATABASE_URL (bash .ci/postgres starts one and prints it)';

/** A new, unused schema name; the tests of one run never share tables. */
export function newSchema(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

/** Drops the schemas a test file made. */
export async function dropSchemas(schemas: readonly string[]): Promise<void> {
  if (!testDatabaseUrl || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** One query on the test database, outside any relay (to look at what the relay wrote). */
export async function queryTestDatabase<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}
