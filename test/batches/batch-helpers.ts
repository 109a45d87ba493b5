import type OpenAI from 'openai';
import { toFile } from 'openai';
import type { TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';

// biome-ignore lint/suspicious/noExplicitAny: the tests read untyped JSON answers field by field
export type Json = Record<string, any>;

/** A batch input file: `count` lines for /v1/responses; the lines in `failing` ask the fake to fail. */
export function inputLines(count: number, failing: number[] = []): string {
  const lines = Array.from({ length: count }, (_, i) => {
    const n = i + 1;
    const input = failing.includes(n) ? `FAIL ${n}` : `hello ${n}`;
    return JSON.stringify({ custom_id: `req-${n}`, method: 'POST', url: '/v1/responses', body: { model: 'fake-model', input } });
  });
  return `${lines.join('\n')}\n`;
}

export async function uploadAndCreate(client: OpenAI, jsonl: string, metadata?: Record<string, string>) {
  const file = await client.files.create({ file: await toFile(Buffer.from(jsonl), 'input.jsonl'), purpose: 'batch' });
  return client.batches.create({ input_file_id: file.id, endpoint: '/v1/responses', completion_window: '24h', metadata });
}

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
