// Real data for the endpoints, workflows, responses and batches pages of `npm run screenshots`: a
// local receiver for deliveries, a workflow folder, and an OpenAI-compatible upstream (the test fake).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { type FakeOpenAI, startFakeOpenAI } from '../test/helpers/fake-openai.ts';
import type { TestRelay } from '../test/helpers/relay.ts';
import { waitFor } from '../test/helpers/wait.ts';

const PUSH_WORKFLOW = `name: announce-pushes
description: turns every push to main into a chat message
on: { source: github, type: push }
steps:
  - id: main_only
    uses: filter
    with: { condition: "{{ event.payload.ref = 'refs/heads/main' }}" }
  - id: message
    uses: transform
    with: { value: "{{ 'pushed ' & $count(event.payload.commits) & ' commit(s)' }}" }
  - id: announce
    uses: log
    with: { message: "{{ steps.message.output }}" }
`;
const BROKEN_WORKFLOW = `name: broken-example
on: { source: github }
steps:
  - id: notify
    uses: http.requets
    with: { url: "https://example.com" }
`;

export interface Areas {
  workflowsDir: string;
  fake: FakeOpenAI;
  receiver: Server;
  receiverUrl: string;
  close(): Promise<void>;
}

/** The outside world the relay talks to, started before the relay so its config can name it. */
export async function startAreas(): Promise<Areas> {
  const root = await mkdtemp(join(tmpdir(), 'hookrelay-shots-'));
  const workflowsDir = join(root, 'workflows');
  await mkdir(workflowsDir);
  await writeFile(join(workflowsDir, 'announce-pushes.yaml'), PUSH_WORKFLOW);
  await writeFile(join(workflowsDir, 'broken-example.yaml'), BROKEN_WORKFLOW);
  const fake = await startFakeOpenAI();
  fake.defaultBehaviour = { tokens: ['Retries ', 'back ', 'off, ', 'storms ', 'pass; ', 'the ', 'queue ', 'drains.'] };
  // Answers 200, except for paths under /down, which fail: one healthy and one failing endpoint.
  const receiver = createServer((req, res) => {
    req.resume();
    const down = req.url?.startsWith('/down');
    res.statusCode = down ? 503 : 200;
    res.end(down ? '{"error":"slack bridge unavailable: upstream timed out"}' : '');
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address() as { port: number };
  return {
    workflowsDir,
    fake,
    receiver,
    receiverUrl: `http://127.0.0.1:${address.port}`,
    async close() {
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
      await fake.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export function areaSections(areas: Areas): Record<string, unknown> {
  return {
    workflows: { dir: areas.workflowsDir, watch: false },
    ai: { upstreams: [{ name: 'local', baseURL: areas.fake.baseURL, models: ['*'] }] },
    batches: { progressIntervalMs: 100 },
  };
}

async function api<T>(relay: TestRelay, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${relay.url}${path}`, {
    method,
    headers: { ...relay.auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Endpoints with deliveries (of the webhooks `sendWebhooks` posts), a response and a finished batch. */
export async function seedAreas(relay: TestRelay, areas: Areas, sendWebhooks: () => Promise<void>): Promise<void> {
  await api(relay, 'POST', '/v1/endpoints', {
    url: `${areas.receiverUrl}/orders`,
    description: 'order service',
    filter: { sources: ['stripe'] },
  });
  await api(relay, 'POST', '/v1/endpoints', {
    url: `${areas.receiverUrl}/down/slack`,
    description: 'Slack bridge (down)',
    filter: { types: ['issues.*', 'push'] },
  });
  await sendWebhooks();
  const response = await api<{ id: string }>(relay, 'POST', '/v1/responses', {
    model: 'llama3.1',
    input: 'Why do retry storms happen after a deploy?',
    background: true,
  });
  await waitFor('the response to complete', async () => {
    const r = await api<{ status: string }>(relay, 'GET', `/v1/responses/${response.id}`);
    return r.status === 'completed';
  });
  const lines = ['alpha', 'beta', 'gamma', 'delta'].map((word, i) =>
    JSON.stringify({
      custom_id: `req-${i + 1}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'llama3.1', messages: [{ role: 'user', content: `Say ${word}` }] },
    }),
  );
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new Blob([`${lines.join('\n')}\n`], { type: 'application/jsonl' }), 'prompts.jsonl');
  const upload = await fetch(`${relay.url}/v1/files`, { method: 'POST', headers: relay.auth, body: form });
  if (!upload.ok) throw new Error(`upload: ${upload.status} ${await upload.text()}`);
  const file = (await upload.json()) as { id: string };
  const batch = await api<{ id: string }>(relay, 'POST', '/v1/batches', {
    input_file_id: file.id,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
  });
  await waitFor('the batch to complete', async () => {
    const b = await api<{ status: string }>(relay, 'GET', `/v1/batches/${batch.id}`);
    return b.status === 'completed';
  });
}

/** Opens one page by its navigation link and waits for what shows it has loaded. */
export async function openPage(page: Page, title: string, ready: string): Promise<void> {
  await page.getByRole('link', { name: title, exact: true }).click();
  await page.locator(ready).first().waitFor();
}
