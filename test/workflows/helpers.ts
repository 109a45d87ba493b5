import { createIdFactory } from '../../server/ids.ts';
import type { RunRecord } from '../../server/workflows/run-store.ts';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export { FakeClock } from '../helpers/fake-clock.ts';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  json: unknown;
}

/** A local HTTP receiver that records every request and answers with `respond` (default 200 {}; null: never). */
export async function startReceiver(
  respond: (req: ReceivedRequest) => { status?: number; body?: unknown } | null = () => ({}),
): Promise<{ url: string; received: ReceivedRequest[]; server: Server; close(): Promise<void> }> {
  const received: ReceivedRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    let json: unknown = null;
    try {
      json = body ? JSON.parse(body) : null;
    } catch {}
    const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, json };
    received.push(request);
    const answer = respond(request);
    if (answer === null) return;
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body ?? {}));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function api<T = Record<string, unknown>>(
  base: string,
  path: string,
  init: { method?: string; body?: unknown; auth: Record<string, string> },
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...init.auth, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

const newRunId = createIdFactory();

/** A run record with no steps, made now; the fields given replace the defaults. */
export function runRecord(fields: Pick<RunRecord, 'status'> & Partial<RunRecord>): RunRecord {
  return {
    id: newRunId('run'),
    workflow: 'w',
    trigger_event_id: null,
    chain_depth: 0,
    created_at: new Date().toISOString(),
    started_at: null,
    finished_at: null,
    steps: [],
    ...fields,
  };
}
