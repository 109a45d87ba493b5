import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type ChildRelay, spawnRelay } from '../../test/helpers/child-relay.ts';
import { BENCH_SECRET } from './messages.ts';

export const BENCH_TOKEN = 'bench-admin-token';

const RELAY_CONFIG = `sources:
  - name: bench
    verify: { scheme: standard-webhooks, secrets: ["${BENCH_SECRET}"] }
store: { driver: lowdb }
`;

/** BENCH_RELAY_NODE_OPTIONS reaches the relay alone (e.g. `--cpu-prof --cpu-prof-dir=DIR`). */
export function startRelay(dataDir: string): Promise<ChildRelay> {
  const nodeOptions = process.env.BENCH_RELAY_NODE_OPTIONS;
  return spawnRelay({
    dataDir,
    configYaml: RELAY_CONFIG,
    adminToken: BENCH_TOKEN,
    env: { HOOKRELAY_LOG_LEVEL: 'info', ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) },
  });
}

export async function stopChild(child: ChildRelay['child']): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** The bare Express baseline in its own process, so it does not share the load generator's event loop. */
export async function startBaseline(): Promise<{ url: string; child: ChildRelay['child'] }> {
  const file = fileURLToPath(new URL('./baseline-server.ts', import.meta.url));
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const [line] = (await once(lines, 'line')) as [string];
  return { url: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`, child };
}

/** The relay's own event-loop delay since the last scrape (prom-client resets its histogram per scrape). */
export async function eventLoopDelay(url: string): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) =>
    Number(new RegExp(`^hookrelay_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text)?.[1]) * 1000;
  return { p99: value('p99'), max: value('max') };
}

/** Counts stored events by paging GET /v1/events. */
export async function countEvents(url: string): Promise<number> {
  let count = 0;
  let after = '';
  for (;;) {
    const res = await fetch(`${url}/v1/events?limit=1000${after ? `&after=${after}` : ''}`, {
      headers: { authorization: `Bearer ${BENCH_TOKEN}` },
    });
    const page = (await res.json()) as { data: unknown[]; has_more: boolean; last_id: string };
    count += page.data.length;
    if (!page.has_more) return count;
    after = page.last_id;
  }
}

/** CPU seconds a child has used so far (Linux /proc; NaN elsewhere): a figure other load cannot skew. */
export async function cpuSeconds(pid: number | undefined): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
