import { DEFAULTS } from '../../server/config/types.ts';
import { createIdFactory } from '../../server/ids.ts';
import { createStorage } from '../../server/store/driver.ts';
import { preSign } from './messages.ts';

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
  const messages = preSign(count, 'stored');
  for (let i = 0; i < count; i += 1000) {
    await Promise.all(
      messages.slice(i, i + 1000).map((m) =>
        events.append({
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
  await events.close();
  return performance.now() - started;
}
