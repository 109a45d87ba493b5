import { DEFAULTS } from '../../server/config/types.ts';
import { createIdFactory } from '../../server/ids.ts';
import { createStorage } from '../../server/store/driver.ts';
import type { EventStore } from '../../server/store/types.ts';
import { preSign } from './messages.ts';

type SignedMessage = ReturnType<typeof preSign>[number];

/** Appends pre-signed messages to a store as ingest would, `concurrency` at a time. */
export async function appendMessages(store: EventStore, messages: SignedMessage[], concurrency: number): Promise<void> {
  for (let i = 0; i < messages.length; i += concurrency) {
    await Promise.all(
      messages.slice(i, i + concurrency).map((m) =>
        store.append({
          source: 'bench',
          type: 'response.completed',
          provider_id: m.headers['webhook-id'],
          headers: m.headers,
          payload: JSON.parse(m.body),
          verified: { scheme: 'standard-webhooks' },
          raw: Buffer.from(m.body),
          content_type: 'application/json',
        }),
      ),
    );
  }
}

/** Stores `count` events through the lowdb driver's event store itself; returns the time taken (ms). */
export async function prefill(dataDir: string, count: number): Promise<number> {
  const started = performance.now();
  const { events } = createStorage({
    driver: 'lowdb',
    dataDir,
    retention: DEFAULTS.retention,
    now: Date.now,
    newId: createIdFactory(),
  });
  await events.open();
  await appendMessages(events, preSign(count, 'stored'), 1000);
  await events.close();
  return performance.now() - started;
}
