// Batch throughput: a JSONL batch through the relay (upload → validate → AI queue → output file) against
// the fake upstream, compared with the same requests sent straight to the fake by the openai SDK at the
// same concurrency. Prints lines per second for both and the ratio. Usage: node bench/batches.ts [lines]
import { cpus } from 'node:os';
import OpenAI, { toFile } from 'openai';
import { startFakeOpenAI } from '../test/helpers/fake-openai.ts';
import { startRelay } from '../test/helpers/relay.ts';
import { sized } from './lib/quick.ts';
import { report } from './lib/summary.ts';

const LINES = Number(process.argv[2] ?? sized(2000, 200));
const CONCURRENCY = 16;

function jsonl(n: number): string {
  const line = (i: number) =>
    JSON.stringify({
      custom_id: `r${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'fake', messages: [{ role: 'user', content: `hi ${i}` }] },
    });
  return `${Array.from({ length: n }, (_, i) => line(i)).join('\n')}\n`;
}

async function direct(baseURL: string): Promise<number> {
  const client = new OpenAI({ apiKey: 'x', baseURL, maxRetries: 0 });
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < LINES) {
      const i = next++;
      await client.chat.completions.create({ model: 'fake', messages: [{ role: 'user', content: `hi ${i}` }] });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return performance.now() - started;
}

async function throughRelay(baseURL: string): Promise<number> {
  const relay = await startRelay({
    sections: {
      ai: { upstreams: [{ name: 'fake', baseURL, models: ['*'] }], concurrency: CONCURRENCY },
      batches: { maxInFlight: CONCURRENCY },
    },
  });
  try {
    const client = new OpenAI({ apiKey: 'test-admin-token', baseURL: `${relay.url}/v1`, maxRetries: 0 });
    const started = performance.now();
    const file = await client.files.create({ file: await toFile(Buffer.from(jsonl(LINES)), 'bench.jsonl'), purpose: 'batch' });
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    for (let polls = 0; polls < 60_000; polls++) {
      const now = await client.batches.retrieve(batch.id);
      if (now.status === 'completed') break;
      if (now.status === 'failed') throw new Error('the batch failed');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return performance.now() - started;
  } finally {
    await relay.stop();
  }
}

const fake = await startFakeOpenAI();
try {
  await direct(fake.baseURL); // warm-up
  const directMs = await direct(fake.baseURL);
  const relayMs = await throughRelay(fake.baseURL);
  const rate = (ms: number) => Math.round((LINES / ms) * 1000);
  console.log(`machine: ${cpus().length} cores, ${cpus()[0]?.model}, Node ${process.version}`);
  console.log(`lines: ${LINES}, concurrency: ${CONCURRENCY}`);
  console.log(`direct SDK → fake:        ${rate(directMs)} lines/s (${Math.round(directMs)} ms)`);
  console.log(`batch through the relay:  ${rate(relayMs)} lines/s (${Math.round(relayMs)} ms, upload to completed)`);
  report({
    bench: 'batches',
    metric: 'lines/s vs the openai SDK direct',
    unit: 'lines/s',
    relay: rate(relayMs),
    baseline: rate(directMs),
  });
} finally {
  await fake.close();
}
