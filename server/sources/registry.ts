import { serviceKey } from '../../plugins/sdk.ts';
import type { Clock } from '../clock.ts';
import type { SourceConfig } from '../config/types.ts';
import { createVerifier, type Verifier } from '../ingest/verifiers/index.ts';
import type { Logger } from '../ops/logger.ts';
import type { Table } from '../store/table.ts';
import { nextExpiry, type SourceRow, sourceConfigOf } from './source-row.ts';

/** What ingest needs: the verifier of a source that exists now (config file or API), else undefined. */
export interface SourceLookup {
  verifier(name: string): Verifier | undefined;
}
export const SOURCES = serviceKey<SourceLookup>('sources');

interface RuntimeEntry {
  row: SourceRow;
  verifier: Verifier | null;
  /** The verifier is rebuilt at this time, when an old secret of a rotation stops verifying. */
  rebuildAt: number;
}

/**
 * The sources a relay accepts webhooks for: those of the config file (fixed until restart) and those
 * made through the API, kept in the `sources` table. Changes made on another instance arrive through
 * the table's onChange (the PostgreSQL cluster channel) and apply at once; a name in the config file
 * wins over a stored source of the same name.
 */
export class SourceRegistry implements SourceLookup {
  readonly #fromConfig = new Map<string, { source: SourceConfig; verifier: Verifier }>();
  readonly #runtime = new Map<string, RuntimeEntry>();
  readonly #table: Table<SourceRow>;
  readonly #clock: Clock;
  readonly #logger: Logger;

  constructor(options: { config: SourceConfig[]; table: Table<SourceRow>; clock: Clock; logger: Logger }) {
    this.#table = options.table;
    this.#clock = options.clock;
    this.#logger = options.logger;
    options.config.forEach((source, i) => {
      this.#fromConfig.set(source.name, { source, verifier: createVerifier(source, i) });
    });
  }

  /** Indexes every stored row (after the table opened). */
  load(): void {
    this.#runtime.clear();
    for (const row of this.#table.values()) this.refresh(row.id);
  }

  /** Re-reads one name from the table: after a write here, or a change another instance made. */
  refresh(name: string): void {
    const row = this.#table.get(name);
    if (!row) this.#runtime.delete(name);
    else if (this.#fromConfig.has(name))
      this.#logger.warn({ source: name }, 'the config file defines this source too; the file wins');
    else this.#runtime.set(name, this.#build(row));
  }

  #build(row: SourceRow): RuntimeEntry {
    const now = this.#clock.now();
    try {
      return { row, verifier: createVerifier(sourceConfigOf(row, now), 0), rebuildAt: nextExpiry(row, now) };
    } catch (error) {
      // Rows are validated before they are written; one that no longer builds is refused, not fatal.
      this.#logger.error({ err: error, source: row.name }, 'a stored source cannot verify webhooks; it refuses them');
      return { row, verifier: null, rebuildAt: Number.POSITIVE_INFINITY };
    }
  }

  verifier(name: string): Verifier | undefined {
    const configured = this.#fromConfig.get(name);
    if (configured) return configured.verifier;
    let entry = this.#runtime.get(name);
    if (!entry) return undefined;
    if (this.#clock.now() >= entry.rebuildAt) {
      entry = this.#build(entry.row);
      this.#runtime.set(name, entry);
    }
    return entry.verifier ?? undefined;
  }

  configSource(name: string): SourceConfig | undefined {
    return this.#fromConfig.get(name)?.source;
  }

  runtimeSource(name: string): SourceRow | undefined {
    return this.#runtime.get(name)?.row;
  }

  configSources(): SourceConfig[] {
    return [...this.#fromConfig.values()].map((entry) => entry.source);
  }

  runtimeSources(): SourceRow[] {
    return [...this.#runtime.values()].map((entry) => entry.row);
  }

  get runtimeCount(): number {
    return this.#runtime.size;
  }
}

/** The config file's sources alone: for a relay assembled without the sources subsystem. */
export function configSourceLookup(sources: SourceConfig[]): SourceLookup {
  const verifiers = new Map(sources.map((source, i) => [source.name, createVerifier(source, i)]));
  return { verifier: (name) => verifiers.get(name) };
}
