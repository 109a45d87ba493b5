import OpenAI, { toFile } from 'openai';
import type { Clock } from '../../server/clock.ts';
import type { FakeOpenAI } from '../helpers/fake-openai.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';

// biome-ignore lint/suspicious/noExplicitAny: the tests read untyped JSON answers field by field
export type Json = Record<string, any>;

export type Endpoint = '/v1/chat/completions' | '/v1/responses' | '/v1/embeddings';

/** A batch input file of `count` lines; the lines numbered in `failing` ask the fake upstream to fail. */
export function inputLines(count: number, failing: number[] = [], endpoint: Endpoint = '/v1/chat/completions'): string {
  const lines = Array.from({ length: count }, (_, i) => {
    const n = i + 1;
    const text = failing.includes(n) ? `FAIL ${n}` : `hello ${n}`;
    const body =
      endpoint === '/v1/responses'
        ? { model: 'fake-model', input: text }
        : { model: 'fake-model', messages: [{ role: 'user', content: text }] };
    return JSON.stringify({ custom_id: `req-${n}`, method: 'POST', url: endpoint, body });
  });
  return `${lines.join('\n')}\n`;
}

export async function uploadAndCreate(
  client: OpenAI,
  jsonl: string,
  options: { metadata?: Record<string, string>; endpoint?: Endpoint } = {},
) {
  const file = await client.files.create({ file: await toFile(Buffer.from(jsonl), 'input.jsonl'), purpose: 'batch' });
  const endpoint = options.endpoint ?? '/v1/chat/completions';
  return client.batches.create({ input_file_id: file.id, endpoint, completion_window: '24h', metadata: options.metadata });
}

/** The relay's YAML-equivalent sections for batch tests: one upstream (the fake) serving every model. */
export function batchSections(upstream: FakeOpenAI, concurrency = 2, maxInFlight = 2) {
  return {
    ai: { upstreams: [{ name: 'fake', baseURL: upstream.baseURL, apiKey: 'sk-fake', models: ['*'] }], concurrency },
    batches: { maxInFlight, progressIntervalMs: 10, retryBackoffMs: 1 },
  };
}

export function startBatchRelay(
  upstream: FakeOpenAI,
  options: { clock?: Clock; dataDir?: string; concurrency?: number; maxInFlight?: number } = {},
) {
  return startRelay({
    clock: options.clock,
    dataDir: options.dataDir,
    sections: batchSections(upstream, options.concurrency, options.maxInFlight),
  });
}

export const sdk = (relay: TestRelay) => new OpenAI({ apiKey: 'test-admin-token', baseURL: `${relay.url}/v1`, maxRetries: 0 });

export function waitForStatus(client: OpenAI, id: string, status: string, timeoutMs = 15_000) {
  return waitFor(
    `batch ${id} to be ${status}`,
    async () => {
      const batch = await client.batches.retrieve(id);
      return batch.status === status ? batch : null;
    },
    timeoutMs,
  );
}

export async function fileLines(client: OpenAI, id: string | null | undefined): Promise<Json[]> {
  if (!id) return [];
  const text = await (await client.files.content(id)).text();
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Json);
}

export async function eventsOf(relay: TestRelay, type: string): Promise<Json[]> {
  const res = await fetch(`${relay.url}/v1/events?source=ai&type=${encodeURIComponent(type)}&limit=1000`, {
    headers: relay.auth,
  });
  return ((await res.json()) as Json).data as Json[];
}
