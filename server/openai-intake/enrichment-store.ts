import type { Table } from '../store/table.ts';

/** The object an OpenAI webhook names, fetched after the 200 and kept beside the event (by event id). */
export interface Enrichment {
  /** The event id this enrichment belongs to. */
  id: string;
  source: string;
  event_type: string;
  /** `response`, `batch` or `fine_tuning.job`: which retrieve call fetched it. */
  object_kind: ObjectKind;
  object_id: string;
  status: 'pending' | 'completed' | 'failed';
  object: unknown;
  error: { code: string; message: string; status?: number } | null;
  updated_at: string;
}

export type ObjectKind = 'response' | 'batch' | 'fine_tuning.job';

/** The domain store for enrichments. */
export interface EnrichmentStore {
  open(): Promise<void>;
  close(): Promise<void>;
  get(eventId: string): Enrichment | undefined;
  /** Enrichments not finished when the relay stopped: resumed on start. */
  pending(): Enrichment[];
  save(enrichment: Enrichment): Promise<void>;
  /** Re-reads enrichments another instance may have changed (after claiming them). */
  refresh(eventIds: readonly string[]): Promise<void>;
  /** Deletes enrichments last changed before `before` (ISO time); returns how many. */
  prune(before: string): Promise<number>;
}

export function tableEnrichmentStore(table: Table<Enrichment>): EnrichmentStore {
  return {
    open: () => table.open(),
    close: () => table.close(),
    get: (eventId) => table.get(eventId),
    pending: () => [...table.values()].filter((e) => e.status === 'pending'),
    save: (enrichment) => table.put(enrichment),
    refresh: (eventIds) => table.refresh(eventIds),
    async prune(before) {
      const old = [...table.values()].filter((e) => e.updated_at < before);
      for (const e of old) await table.delete(e.id);
      return old.length;
    },
  };
}
