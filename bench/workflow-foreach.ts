// The `foreach` case of npm run bench:workflow: a run of 100 items × http.request, concurrency 10,
// against the same calls made by a plain Node script (bench/foreach-plain.ts), in the same run and to
// the same local receiver. Both sides are child processes; the receiver is in the bench process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { spawnRelay } from '../test/helpers/child-relay.ts';

const ITEMS = 100;
const CONCURRENCY = 10;
const ROUNDS = Number(process.env.BENCH_FOREACH_ROUNDS ?? 10);
const TOKEN = 'bench-admin-token';

const WORKFLOW = `name: fanout
steps:
  - id: each
    uses: http.request
    foreach: "{{ event.payload.items }}"
    concurrency: ${CONCURRENCY}
    with: { method: POST, url: "{{ env.BENCH_RECEIVER }}", json: { item: "{{ item }}", index: "{{ index }}" } }
`;

async function countingReceiver() {
  let count = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, count: () => count, close: () => server.close() };
}

async function plainNode(url: string, rounds: number): Promise<number> {
  const script = fileURLToPath(new URL('./foreach-plain.ts', import.meta.url));
  const child = spawn(process.execPath, [script], {
    env: {
      ...process.env,
      FOREACH_URL: url,
      FOREACH_ITEMS: String(ITEMS),
      FOREACH_ROUNDS: String(rounds),
      FOREACH_CONCURRENCY: String(CONCURRENCY),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  return (JSON.parse(line) as { ms: number }).ms;
}

async function api(base: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
}

/**
 * One run at a time: start it by API, wait until the receiver has its calls, then until the run says
 * it finished (the run record is read only then: reading it is work for the relay too).
 */
async function relayRuns(base: string, rounds: number, received: () => number): Promise<{ ms: number; failed: number }> {
  const items = Array.from({ length: ITEMS }, (_, i) => `item-${i}`);
  let failed = 0;
  const started = performance.now();
  for (let round = 0; round < rounds; round++) {
    const expected = received() + ITEMS;
    const run = await api(base, '/v1/workflows/fanout/runs', { event: { payload: { items } } });
    while (received() < expected) await new Promise((r) => setTimeout(r, 2));
    for (;;) {
      const status = (await api(base, `/v1/runs/${run.id}`)).status;
      if (status === 'succeeded') break;
      if (status === 'failed' || status === 'cancelled') {
        failed++;
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  return { ms: performance.now() - started, failed };
}

export async function foreachCase(progress: (msg: string) => void) {
  const receiver = await countingReceiver();
  const dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-bench-foreach-'));
  await mkdir(join(dataDir, 'workflows'));
  await writeFile(join(dataDir, 'workflows', 'fanout.yaml'), WORKFLOW);
  const relay = await spawnRelay({
    dataDir,
    adminToken: TOKEN,
    configYaml: ['workflows:', '  dir: ./workflows', '  env: [BENCH_RECEIVER]', '  watch: false'].join('\n'),
    env: { BENCH_RECEIVER: receiver.url, HOOKRELAY_LOG_LEVEL: 'info' },
  });
  try {
    progress(`foreach: warm-up (1 run of ${ITEMS} items)`);
    await relayRuns(relay.url, 1, receiver.count);
    await plainNode(receiver.url, 1);
    // Interleaved, a run then the same calls from the plain script, so that a shared machine's load
    // changing during the bench weighs on both sides alike.
    progress(
      `foreach: ${ROUNDS} × (a run of ${ITEMS} items × http.request, concurrency ${CONCURRENCY}; the same calls from plain Node)`,
    );
    let relayMs = 0;
    let plainMs = 0;
    let failed = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const viaRelay = await relayRuns(relay.url, 1, receiver.count);
      relayMs += viaRelay.ms;
      failed += viaRelay.failed;
      plainMs += await plainNode(receiver.url, 1);
    }
    const calls = ROUNDS * ITEMS;
    const relayRate = (calls / relayMs) * 1000;
    const plainRate = (calls / plainMs) * 1000;
    return {
      foreach_items_per_run: ITEMS,
      foreach_concurrency: CONCURRENCY,
      foreach_runs: ROUNDS,
      foreach_failed_runs: failed,
      foreach_relay_calls_per_s: Math.round(relayRate),
      foreach_plain_node_calls_per_s: Math.round(plainRate),
      ratio_foreach_relay_vs_plain_node: Number((relayRate / plainRate).toFixed(2)),
    };
  } finally {
    relay.child.kill('SIGTERM');
    await relay.exited;
    receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
