// npm run bench:event-loop: how long the store blocks the event loop while it loads 50,000 stored
// events at start-up, and while it ingests with retention unlinking old segments; plus memory per event.
// In-process (the store alone, no HTTP), plain Node with --expose-gc. Not a test.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { FileEventStore } from '../server/store/file-event-store.ts';
import { preSign } from './lib/messages.ts';
import { appendMessages, prefill } from './lib/prefill.ts';
import { sized } from './lib/quick.ts';

const STORED = sized(50_000, 5_000);
const INGEST = sized(20_000, 2_000);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

async function heapMiB(): Promise<number> {
  // Twice, with a turn between: freed Buffers leave `external` only after their finalizers ran.
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return (heapUsed + external) / 2 ** 20;
}

async function diskBytes(dataDir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(join(dataDir, 'events'))) total += (await stat(join(dataDir, 'events', name))).size;
  return total;
}

async function measured<T>(label: string, work: () => Promise<T>): Promise<T> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const started = performance.now();
  const result = await work();
  delay.disable();
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  console.log(
    `${label.padEnd(44)} ${(performance.now() - started).toFixed(0).padStart(6)} ms   event-loop delay ` +
      `p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms (1 ms sampling)`,
  );
  return result;
}

/** Memory and disk per event once `count` events with bodies of about `bodyBytes` are stored and loaded back. */
async function bytesPerEvent(bodyBytes: number, count: number): Promise<{ memory: number; disk: number }> {
  const where = await mkdtemp(join(tmpdir(), 'hookrelay-mem-'));
  try {
    const writer = new FileEventStore({ dir: where, retention: { maxEvents: count, maxAgeDays: 7 } });
    await writer.open();
    const filler = 'x'.repeat(bodyBytes);
    for (let i = 0; i < count; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) => {
          const payload = { type: 'big.event', n: i + j, filler };
          const raw = Buffer.from(JSON.stringify(payload));
          const headers = { 'content-type': 'application/json', 'webhook-id': `msg_${i + j}` };
          const verified = { scheme: 'none' };
          return writer.append({
            source: 'm',
            type: 'big.event',
            provider_id: `msg_${i + j}`,
            headers,
            payload,
            verified,
            raw,
            content_type: 'application/json',
          });
        }),
      );
    }
    await writer.close();
    const before = await heapMiB();
    const reader = new FileEventStore({ dir: where, retention: { maxEvents: count, maxAgeDays: 7 } });
    await reader.open();
    const memory = (((await heapMiB()) - before) * 2 ** 20) / count;
    await reader.close();
    return { memory, disk: (await diskBytes(where)) / count };
  } finally {
    await rm(where, { recursive: true, force: true });
  }
}

const dir = await mkdtemp(join(tmpdir(), 'hookrelay-loop-'));
try {
  console.log(`prefilled ${STORED} events in ${(await prefill(dir, STORED)).toFixed(0)} ms`);
  const before = await heapMiB();
  // Retention at the stored count: every append below drops the oldest event, and whole segments go.
  const store = new FileEventStore({ dir, retention: { maxEvents: STORED, maxAgeDays: 7 } });
  await measured(`open: load ${STORED} stored events`, () => store.open());
  const perEvent = (((await heapMiB()) - before) * 2 ** 20) / (await store.count());
  const disk = (await diskBytes(dir)) / STORED;
  const body = Buffer.byteLength(preSign(1, 'size')[0].body);
  console.log(
    `per stored event, ~${body}-byte body: memory ${perEvent.toFixed(0)} bytes (heap + external), disk ${disk.toFixed(0)} bytes`,
  );
  const segmentsBefore = (await readdir(join(dir, 'events'))).length;
  const messages = preSign(INGEST, 'loop');
  await measured(`ingest ${INGEST} (50 concurrent), retention on`, async () => {
    await appendMessages(store, messages, 50);
  });
  // What one GET /v1/events?limit=1000 costs the store: one or two reads from the segment, then parsing.
  const pageMs: number[] = [];
  let after: string | undefined;
  for (let page = 0; page < 50; page++) {
    const started = performance.now();
    after = (await store.list({ limit: 1000, after })).last_id ?? undefined;
    pageMs.push(performance.now() - started);
  }
  pageMs.sort((a, b) => a - b);
  console.log(
    `list one page of 1000 events: median ${pageMs[25].toFixed(1)} ms, max ${pageMs[49].toFixed(1)} ms (read from the segment, then parsed)`,
  );
  await store.close();
  const segmentsAfter = (await readdir(join(dir, 'events'))).length;
  console.log(`segments on disk: ${segmentsBefore} before ingest, ${segmentsAfter} after; events kept ${STORED}`);
  const big = await bytesPerEvent(10_240, 5_000);
  console.log(`per stored event, 10 KiB body: memory ${big.memory.toFixed(0)} bytes, disk ${big.disk.toFixed(0)} bytes`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
