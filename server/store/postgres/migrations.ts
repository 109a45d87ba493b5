import type pg from 'pg';

// Versioned schema changes, applied in order at start-up. Append new versions; never edit a released one.
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'events, rejections and tables',
    sql: `
      CREATE TABLE events (
        id text COLLATE "C" PRIMARY KEY,
        source text NOT NULL,
        type text COLLATE "C" NOT NULL,
        received_at timestamptz NOT NULL,
        provider_id text,
        headers json NOT NULL,
        payload json,
        verified json NOT NULL,
        raw bytea NOT NULL,
        content_type text NOT NULL,
        -- The instance that stored it, so a live feed that lost its connection can read what it missed.
        stored_by text NOT NULL DEFAULT ''
      );
      -- De-duplication across every instance: the database, not a process, decides what is first.
      CREATE UNIQUE INDEX events_provider_id ON events (source, provider_id) WHERE provider_id IS NOT NULL;
      CREATE INDEX events_source_id ON events (source, id);
      CREATE INDEX events_type_id ON events (type, id);
      CREATE TABLE rejections (
        seq bigserial PRIMARY KEY,
        at text NOT NULL,
        source text NOT NULL,
        status integer NOT NULL,
        code text NOT NULL,
        ip text NOT NULL,
        headers json NOT NULL
      );
      CREATE TABLE relay_rows (
        table_name text NOT NULL,
        id text NOT NULL,
        seq bigserial NOT NULL,
        row jsonb NOT NULL,
        PRIMARY KEY (table_name, id)
      );
      CREATE INDEX relay_rows_order ON relay_rows (table_name, seq);
    `,
  },
  {
    version: 2,
    name: 'instances, claims and blobs',
    sql: `
      -- Each running relay heartbeats here; one silent for longer than the lease is taken for dead.
      CREATE TABLE relay_instances (
        id text PRIMARY KEY,
        started_at timestamptz NOT NULL DEFAULT now(),
        seen_at timestamptz NOT NULL DEFAULT now()
      );
      -- Work held by an instance (a delivery, a run, a response, a batch, a led role).
      CREATE TABLE relay_claims (
        key text PRIMARY KEY,
        owner text NOT NULL,
        claimed_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX relay_claims_owner ON relay_claims (owner);
      -- File bytes (uploads for batches), so that every instance can read them.
      CREATE TABLE relay_blobs (
        id text PRIMARY KEY,
        data bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 3,
    name: 'events: client address',
    sql: `
      -- Where each webhook came from (shown with the event's activity); null for internal events.
      ALTER TABLE events ADD COLUMN client_ip text;
    `,
  },
];

/**
 * Applies pending migrations in one transaction under a transaction-level advisory lock: instances
 * that start together queue on the lock, and the later ones find nothing left to do. `upTo` stops at a
 * version (tests of upgrades from an earlier schema).
 */
export async function migrate(pool: pg.Pool, schema: string | undefined, upTo = Number.POSITIVE_INFINITY): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('hookrelay.migrate.' || $1))`, [schema ?? '']);
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version) || migration.version > upTo) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
