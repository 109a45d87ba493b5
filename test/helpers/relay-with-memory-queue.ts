// A relay in its own process with the in-memory AI queue, for kill -9 tests of batches.
// Env: HOOKRELAY_TEST_DATA_DIR, HOOKRELAY_TEST_UPSTREAM (base URL with /v1). Prints {"url": ...} once listening.
import { defaultSubsystems } from '../../server/subsystems.ts';
import { memoryQueue, provideQueue } from './memory-ai-queue.ts';
import { startRelay } from './relay.ts';

const relay = await startRelay({
  dataDir: process.env.HOOKRELAY_TEST_DATA_DIR,
  subsystems: [...defaultSubsystems, provideQueue(memoryQueue(String(process.env.HOOKRELAY_TEST_UPSTREAM), 2))],
  sections: { batches: { maxInFlight: 2, progressIntervalMs: 10 } },
});
process.stdout.write(`${JSON.stringify({ url: relay.url })}\n`);
setInterval(() => {}, 60_000);
