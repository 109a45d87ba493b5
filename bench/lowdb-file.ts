// npm run bench:lowdb-file: what one lowdb JSONFile write costs when the file holds 50,000 events, the
// figure behind keeping events in JSON-lines segments (docs/store.md). Plain Node. Not a test.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { createIdFactory } from '../server/ids.ts';
import type { RelayEvent } from '../server/store/types.ts';
import { preSign } from './lib/messages.ts';
import { sized } from './lib/quick.ts';

const EVENTS = sized(50_000, 5_000);
const WRITES = 5;

interface Db {
  events: Array<RelayEvent & { raw: string }>;
}

const newId = createIdFactory();
const events = preSign(EVENTS, 'lowdb').map((m) => {
  const id = newId('evt');
  return {
    id,
    source: 'bench',
    type: 'response.completed',
    received_at: new Date().toISOString(),
    provider_id: m.headers['webhook-id'],
    headers: m.headers,
    payload: JSON.parse(m.body) as unknown,
    verified: { scheme: 'standard-webhooks' },
    raw: Buffer.from(m.body).toString('base64'),
  };
});

const dir = await mkdtemp(join(tmpdir(), 'hookrelay-lowdb-'));
try {
  const file = join(dir, 'events.json');
  const db = new Low<Db>(new JSONFile<Db>(file), { events });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const times: number[] = [];
  for (let i = 0; i < WRITES; i++) {
    delay.enable();
    const started = performance.now();
    await db.write();
    times.push(performance.now() - started);
    delay.disable();
  }
  const { size } = await stat(file);
  times.sort((a, b) => a - b);
  console.log(`one lowdb JSONFile write of ${EVENTS} events (${(size / 2 ** 20).toFixed(1)} MiB file):`);
  console.log(
    `  median ${times[WRITES >> 1].toFixed(0)} ms over ${WRITES} writes; event loop blocked up to ${(delay.max / 1e6).toFixed(0)} ms`,
  );
  const readStarted = performance.now();
  await db.read();
  console.log(`  one read (start-up) ${(performance.now() - readStarted).toFixed(0)} ms`);
  console.log(`  every ingest would pay this write: at most ~${(1000 / times[WRITES >> 1]).toFixed(1)} group commits per second`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
