import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSource } from 'eventsource';
import { io } from 'socket.io-client';
import { waitFor } from './wait.ts';
import { type ChildRelay, spawnRelay } from './child-relay.ts';

export const CLUSTER_TOKEN = 'cluster-admin-token';

export interface ClusterMember extends ChildRelay {
  dataDir: string;
  alive: boolean;
}

/**
 * Several `hookrelay start` child processes on one PostgreSQL schema, each with its own data dir and
 * the same admin token. `files` are written into every data dir before start (workflows...);
 * `configYaml(i)` is each relay's config. The first one starts alone (it applies the migrations and
 * takes every led role; `afterFirst` may wait for that), then the others start together.
 */
export async function startCluster(options: {
  count: number;
  configYaml: (index: number) => string;
  files?: Record<string, string>;
  env?: Record<string, string>;
  afterFirst?: (first: ClusterMember) => Promise<void>;
}): Promise<{ members: ClusterMember[]; kill(member: ClusterMember): Promise<void>; stop(): Promise<void> }> {
  const dirs = await Promise.all(Array.from({ length: options.count }, () => mkdtemp(join(tmpdir(), 'hookrelay-cluster-'))));
  for (const dir of dirs) {
    for (const [path, text] of Object.entries(options.files ?? {})) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), text);
    }
  }
  const members: ClusterMember[] = [];
  const start = async (i: number) => {
    const relay = await spawnRelay({
      dataDir: dirs[i],
      configYaml: options.configYaml(i),
      adminToken: CLUSTER_TOKEN,
      env: options.env,
    });
    const member = { ...relay, dataDir: dirs[i], alive: true };
    members[i] = member;
    return member;
  };
  const kill = async (member: ClusterMember) => {
    member.alive = false;
    if (member.child.exitCode === null && member.child.signalCode === null) member.child.kill('SIGKILL');
    await member.exited;
  };
  const stop = async () => {
    // SIGTERM: a clean stop releases claims at once; a relay that hangs on the way out is killed.
    await Promise.all(
      members.filter(Boolean).map(async (m) => {
        if (m.child.exitCode !== null || m.child.signalCode !== null) return;
        m.child.kill('SIGTERM');
        const timer = setTimeout(() => m.child.kill('SIGKILL'), 10_000);
        await m.exited;
        clearTimeout(timer);
      }),
    );
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  };
  try {
    const first = await start(0);
    await options.afterFirst?.(first);
    await Promise.all(dirs.slice(1).map((_, i) => start(i + 1)));
  } catch (error) {
    await stop();
    throw error;
  }
  return { members, kill, stop };
}

/** Every stored event of a source, paging GET /v1/events with the `after` cursor. */
export async function listEvents(
  url: string,
  source: string,
): Promise<Array<{ id: string; provider_id: string | null; type: string }>> {
  const all: Array<{ id: string; provider_id: string | null; type: string }> = [];
  let after = '';
  for (let page = 0; page < 1000; page++) {
    const res = await fetch(`${url}/v1/events?source=${source}&limit=1000${after ? `&after=${after}` : ''}`, {
      headers: { authorization: `Bearer ${CLUSTER_TOKEN}` },
    });
    if (res.status !== 200) throw new Error(`GET /v1/events answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { data: typeof all; has_more: boolean; last_id: string };
    all.push(...body.data);
    if (!body.has_more) return all;
    after = body.last_id;
  }
  throw new Error('too many pages');
}

/** An admin API call; throws on any status from 300 up. */
export async function adminJson<T>(url: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${CLUSTER_TOKEN}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (res.status >= 300) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Creates an endpoint through the first relay and waits until every relay lists it. */
export async function endpointOnEvery(members: ClusterMember[], body: object): Promise<{ id: string; secret: string }> {
  const endpoint = await adminJson<{ id: string; secret: string }>(members[0].url, '/v1/endpoints', { method: 'POST', body });
  for (const m of members) {
    await waitFor(`the endpoint on ${m.url}`, async () =>
      (await adminJson<{ data: Array<{ id: string }> }>(m.url, '/v1/endpoints')).data.some((e) => e.id === endpoint.id),
    );
  }
  return endpoint;
}

/**
 * An SSE subscriber to one source on `on`, with a subscriber token made through `tokenFrom` (so the
 * token itself has to cross relays); collects event ids once connected.
 */
export async function subscribe(on: ClusterMember, tokenFrom: ClusterMember, source: string) {
  const { token } = await adminJson<{ token: string }>(tokenFrom.url, '/v1/tokens', {
    method: 'POST',
    body: { name: 'live', sources: [source] },
  });
  await waitFor('the token to be known on the other relay', async () => {
    return (await fetch(`${on.url}/v1/events?limit=1`, { headers: { authorization: `Bearer ${token}` } })).status === 200;
  });
  const seen: string[] = [];
  let opened = false;
  const stream = new EventSource(`${on.url}/v1/events/stream?access_token=${token}&source=${source}`);
  stream.onopen = () => {
    opened = true;
  };
  stream.onmessage = (message) => seen.push((JSON.parse(message.data) as { id: string }).id);
  await waitFor('the SSE subscriber to be connected', () => opened);
  return { seen, close: () => stream.close() };
}

/** A Socket.IO subscriber (websocket transport) to one source on `on`, with the admin token; collects event ids. */
export async function subscribeSocketIo(on: ClusterMember, source: string) {
  const socket = io(on.url, { path: '/socket.io', auth: { token: CLUSTER_TOKEN }, transports: ['websocket'] });
  const seen: string[] = [];
  socket.on('event', (event: { id: string }) => seen.push(event.id));
  const ack = await socket.timeout(10_000).emitWithAck('subscribe', { sources: [source] });
  if (!(ack as { ok?: boolean }).ok) throw new Error(`subscribe answered ${JSON.stringify(ack)}`);
  return { seen, close: () => void socket.disconnect() };
}
