import { startRelay, type TestRelay } from '../helpers/relay.ts';
import type { FakeClock } from '../helpers/fake-clock.ts';

export const TEST_SOURCES = [
  { name: 'dev', insecure: true, verify: { scheme: 'none' as const } },
  { name: 'other', insecure: true, verify: { scheme: 'none' as const } },
];

/** A relay with unverified `dev` and `other` sources (tests post plain bodies) and the delivery section given. */
export function deliveryRelay(
  options: { clock?: FakeClock; delivery?: Record<string, unknown>; driver?: 'lowdb' | 'memory'; dataDir?: string } = {},
) {
  return startRelay({
    dataDir: options.dataDir,
    sources: TEST_SOURCES,
    clock: options.clock,
    driver: options.driver,
    sections: { delivery: options.delivery ?? {} },
  });
}

export async function api<T = Record<string, unknown>>(
  relay: TestRelay,
  path: string,
  init: { method?: string; body?: unknown } = {},
) {
  const res = await fetch(`${relay.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...relay.auth, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

export async function createEndpoint(relay: TestRelay, body: Record<string, unknown>) {
  const res = await api<{ id: string; secret: string }>(relay, '/v1/endpoints', { method: 'POST', body });
  if (res.status !== 201) throw new Error(`endpoint not created: ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function ingest(relay: TestRelay, payload: unknown, source = 'dev', contentType = 'application/json') {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const res = await fetch(`${relay.url}/hooks/${source}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const answer = (await res.json()) as { id: string };
  if (res.status !== 200) throw new Error(`ingest failed: ${JSON.stringify(answer)}`);
  return answer.id;
}

export interface DeliveryJson {
  id: string;
  status: string;
  attempt_count: number;
  next_attempt_at: string | null;
  last_error: string | null;
  last_status_code: number | null;
  attempts: Array<{ status_code: number | null; error: string | null; response_body: string }>;
}

export async function deliveries(relay: TestRelay, endpointId: string): Promise<DeliveryJson[]> {
  return (await api<{ data: DeliveryJson[] }>(relay, `/v1/endpoints/${endpointId}/deliveries?limit=500`)).body.data;
}
