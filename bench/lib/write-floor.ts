// The durable write alone, for bench:fanout: the file store's own appender (JsonlAppender: O_DSYNC,
// group commit) on the same disk, fed lines of an event's size at the bench's rate with nothing else
// running. Its p99 is the least a relay that answers only after the durable write can add, at that
// moment, to the time from arrival to subscriber; other work on the machine sharing the disk shows here.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonlAppender } from '../../server/store/jsonl.ts';

export async function writeFloor(
  dir: string,
  rate: number,
  seconds: number,
  lineBytes = 1200,
): Promise<{ p50: number; p99: number }> {
  const file = join(dir, 'write-floor.jsonl');
  const appender = await JsonlAppender.open(file);
  const line = `${JSON.stringify({ pad: 'x'.repeat(Math.max(0, lineBytes - 12)) })}\n`;
  const latencies: number[] = [];
  const writes: Promise<void>[] = [];
  const start = performance.now();
  try {
    for (let i = 0; i < rate * seconds; i++) {
      const wait = start + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const sent = performance.now();
      writes.push(appender.append(line).then(() => void latencies.push(performance.now() - sent)));
    }
    await Promise.all(writes);
  } finally {
    await appender.close();
    await rm(file, { force: true });
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { p50: at(0.5), p99: at(0.99) };
}
