import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Enrichment, tableEnrichmentStore } from '../../server/openai-intake/enrichment-store.ts';
import { MemoryTable } from '../../server/store/memory-table.ts';

const row = (id: string, status: Enrichment['status'], updated_at: string): Enrichment => ({
  id,
  source: 'openai',
  event_type: 'response.completed',
  object_kind: 'response',
  object_id: `resp_${id}`,
  status,
  object: null,
  error: null,
  updated_at,
});

describe('enrichment store', () => {
  it('lists pending enrichments for resuming and prunes those older than the cut-off', async () => {
    const store = tableEnrichmentStore(new MemoryTable<Enrichment>('enrichments'));
    await store.save(row('evt_a', 'completed', '2026-01-01T00:00:00.000Z'));
    await store.save(row('evt_b', 'pending', '2026-01-05T00:00:00.000Z'));
    await store.save(row('evt_c', 'failed', '2026-01-09T00:00:00.000Z'));
    assert.deepEqual(
      store.pending().map((e) => e.id),
      ['evt_b'],
    );
    assert.equal(await store.prune('2026-01-06T00:00:00.000Z'), 2);
    assert.equal(store.get('evt_a'), undefined);
    assert.equal(store.get('evt_b'), undefined);
    assert.equal(store.get('evt_c')?.status, 'failed');
  });
});
