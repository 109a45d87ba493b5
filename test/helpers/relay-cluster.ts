import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { type ChildRelay, spawnRelay } from './child-relay.ts';

export const CLUSTER_TOKEN = 'cluster-admin-token';

export interface ClusterMember extends ChildRelay {
  dataDir: string;
  alive: boolean;
}

/**
 * Several `hookrelay start` child processes on one PostgreSQL schema, each with its own data dir and
 * the same admin token. `files` are written into every data dir before start (workflows...);
 * `configYaml(i)` is each relay's config. They start together, as a rolling deploy's first wave would.
 */
export async function startCluster(options: {
  count: number;
  configYaml: (index: number) => string;
  files?: Record<string, string>;
  env?: Record<string, string>;
}): Promise<{ members: ClusterMember[]; kill(member: ClusterMember): Promise<void>; stop(): Promise<void> }> {
  const dirs = await Promise.all(Array.from({ length: options.count }, () => mkdtemp(join(tmpdir(), 'hookrelay-cluster-'))));
  for (const dir of dirs) {
    for (const [path, text] of Object.entries(options.files ?? {})) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), text);
    }
  }
  const started = await Promise.allSettled(
    dirs.map((dataDir, i) =>
      spawnRelay({ dataDir, configYaml: options.configYaml(i), adminToken: CLUSTER_TOKEN, env: options.env }),
    ),
  );
  const members = started.flatMap((s, i) => (s.status === 'fulfilled' ? [{ ...s.value, dataDir: dirs[i], alive: true }] : []));
  const kill = async (member: ClusterMember) => {
    member.alive = false;
    if (member.child.exitCode === null && member.child.signalCode === null) member.child.kill('SIGKILL');
    await member.exited;
  };
  const stop = async () => {
    // SIGTERM: a clean stop releases claims at once; a relay that hangs on the way out is killed.
    await Promise.all(
      members.map(async (m) => {
        if (m.child.exitCode !== null || m.child.signalCode !== null) return;
        m.child.kill('SIGTERM');
        const timer = setTimeout(() => m.child.kill('SIGKILL'), 10_000);
        await m.exited;
        clearTimeout(timer);
      }),
    );
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw (failed as PromiseRejectedResult).reason;
  }
  return { members, kill, stop };
}

export interface SignedReceipt {
  /** `webhook-id`: the event id for endpoint deliveries. */
  id: string;
  at: number;
  valid: boolean;
  body: string;
}

/**
 * An endpoint receiver that checks each Standard Webhooks signature with the standardwebhooks library
 * (the secret is set once the endpoint exists) and answers 200, or 400 to a bad signature.
 */
export async function startSignedReceiver() {
  const receipts: SignedReceipt[] = [];
  let verifier: Webhook | null = null;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const valid = verify(verifier, body, req.headers);
      receipts.push({ id: String(req.headers['webhook-id']), at: Date.now(), valid, body });
      res.writeHead(valid ? 200 : 400).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    receipts,
    setSecret(secret: string) {
      verifier = new Webhook(secret);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A receiver for workflow requests: records each JSON body with its arrival time, answers 200 {}. */
export async function startJsonReceiver() {
  const received: Array<{ path: string; json: unknown; at: number }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({ path: req.url ?? '', json: text ? JSON.parse(text) : null, at: Date.now() });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Checks at-least-once receipts after a kill: each key arrived at least once; more than once only if
 * its first arrival came before the kill (an attempt the dead relay made but had not recorded), and
 * then exactly twice (the survivor's one repeat). Returns the keys that repeated.
 */
export function repeatsAfterKill(arrivals: Array<{ key: string; at: number }>, expected: Iterable<string>, killedAt: number) {
  const byKey = new Map<string, number[]>();
  for (const { key, at } of arrivals) byKey.set(key, [...(byKey.get(key) ?? []), at]);
  const repeated: string[] = [];
  for (const key of expected) {
    const times = byKey.get(key) ?? [];
    if (times.length === 0) throw new Error(`${key} never arrived`);
    if (times.length === 1) continue;
    if (times.length > 2 || Math.min(...times) > killedAt) {
      throw new Error(`${key} arrived ${times.length} times, first ${Math.min(...times) - killedAt} ms after the kill`);
    }
    repeated.push(key);
  }
  return repeated;
}

function verify(verifier: Webhook | null, body: string, headers: IncomingHttpHeaders): boolean {
  if (!verifier) return false;
  try {
    verifier.verify(body, {
      'webhook-id': String(headers['webhook-id']),
      'webhook-timestamp': String(headers['webhook-timestamp']),
      'webhook-signature': String(headers['webhook-signature']),
    });
    return true;
  } catch {
    return false;
  }
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
