import assert from 'node:assert/strict';
import type { RunRecord } from '../../server/workflows/run-store.ts';
import { queryTestDatabase } from '../helpers/postgres.ts';
import { api } from '../workflows/helpers.ts';
import { signedShop } from '../helpers/signed-source.ts';

const shop = signedShop('workflows on several instances');
export const { secret: SECRET, source } = shop;
export const ingest = async (...args: Parameters<typeof shop.ingest>) => (await shop.ingest(...args)).id;

// Workflows and helpers shared by the tests of workflows on several instances.

export function workflowFiles(receiverUrl: string): Record<string, string> {
  return {
    'forward.yaml': `name: forward
on: { source: shop, type: "order.*" }
steps:
  - id: post
    uses: http.request
    with: { method: POST, url: "${receiverUrl}/order", json: { event: "{{ event.id }}" } }
`,
    'gate.yaml': `name: gate
steps:
  - id: first
    uses: http.request
    with: { method: POST, url: "${receiverUrl}/first", json: { key: "{{ event.payload.key }}" } }
  - id: gate
    uses: wait.event
    with: { source: shop, type: release, match: "awaited.payload.key = event.payload.key", timeout: 1h }
  - id: last
    uses: http.request
    with: { method: POST, url: "${receiverUrl}/last", json: { key: "{{ event.payload.key }}", by: "{{ steps.gate.output.id }}" } }
`,
    'pause.yaml': `name: pause
on: { source: shop, type: pause }
steps:
  - id: first
    uses: http.request
    with: { method: POST, url: "${receiverUrl}/first", json: { key: "{{ event.payload.key }}" } }
  - id: pause
    uses: delay
    with: { for: 2s }
  - id: last
    uses: http.request
    with: { method: POST, url: "${receiverUrl}/last", json: { key: "{{ event.payload.key }}" } }
`,
    'tally.yaml': `name: tally
steps:
  - id: count
    uses: state.put
    with: { namespace: shared, key: "{{ event.payload.key }}", value: "{{ event.payload.key }}" }
`,
  };
}

export const AUTH = { authorization: 'Bearer test-admin-token' };

export async function runOn(relay: { url: string }, id: string): Promise<RunRecord> {
  const res = await api<RunRecord>(relay.url, `/v1/runs/${id}`, { auth: AUTH });
  assert.equal(res.status, 200);
  return res.body;
}

export async function startManual(relay: { url: string }, workflow: string, payload: unknown): Promise<RunRecord> {
  const res = await api<RunRecord>(relay.url, `/v1/workflows/${workflow}/runs`, {
    method: 'POST',
    auth: AUTH,
    body: { event: { type: 'manual', payload } },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

export const stepOf = (run: RunRecord, id: string) => run.steps.find((s) => s.id === id);

/** A step's output (the step must exist). */
export function outputOf<T>(run: RunRecord, id: string): T {
  const step = stepOf(run, id);
  assert.ok(step, `run ${run.id} has no step ${id}`);
  return step.output as T;
}

/** The instance holding a claim key now, if any. */
export async function holderOf(schema: string, key: string): Promise<string | undefined> {
  const rows = await queryTestDatabase<{ owner: string }>(`SELECT owner FROM ${schema}.relay_claims WHERE key = $1`, [key]);
  return rows[0]?.owner;
}
