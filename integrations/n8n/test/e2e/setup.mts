// What the end-to-end test stands up: the pinned n8n (installed once, cached outside the repository),
// the packed node installed the way users get it, and the n8n workflows it drives.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Runs install-n8n.sh (a no-op when the cache holds n8n); returns the folder holding node_modules/n8n. */
export function installN8n(): string {
  const out = execFileSync('bash', [join(here, '..', 'install-n8n.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').at(-1) as string;
}

/**
 * Installs the packed node into `$N8N_USER_FOLDER/.n8n/nodes`, as Settings → Community nodes does:
 * n8n then knows its nodes as `n8n-nodes-hookrelay.<name>`.
 */
export function installNode(userFolder: string, tarball: string): void {
  const nodesDir = join(userFolder, '.n8n', 'nodes');
  mkdirSync(nodesDir, { recursive: true });
  writeFileSync(join(nodesDir, 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }));
  execFileSync('npm', ['install', '--legacy-peer-deps', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error', tarball], {
    cwd: nodesDir,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface WorkflowNode {
  id: string;
  name: string;
  type: string;
  typeVersion: number;
  position: [number, number];
  parameters: Record<string, unknown>;
  webhookId?: string;
  credentials?: Record<string, { id: string; name: string }>;
}

export const TYPE = {
  trigger: 'n8n-nodes-hookrelay.hookrelayTrigger',
  action: 'n8n-nodes-hookrelay.hookrelay',
};

export function node(
  name: string,
  type: string,
  parameters: Record<string, unknown>,
  extra: Partial<WorkflowNode> = {},
): WorkflowNode {
  return { id: randomUUID(), name, type, typeVersion: 1, position: [0, 0], parameters, ...extra };
}

/** A workflow of nodes in a chain, in n8n's public API shape. */
export function chain(name: string, nodes: WorkflowNode[]) {
  const connections: Record<string, unknown> = {};
  nodes.forEach((n, i) => {
    n.position = [i * 220, 0];
    const next = nodes[i + 1];
    if (next) connections[n.name] = { main: [[{ node: next.name, type: 'main', index: 0 }]] };
  });
  return { name, nodes, connections, settings: { executionOrder: 'v1', saveDataSuccessExecution: 'all' } };
}

interface Execution {
  id: string;
  status: string;
  data?: {
    resultData?: { runData?: Record<string, Array<{ data?: { main?: Array<Array<{ json: Record<string, unknown> }>> } }>> };
  };
}

/** The event ids each execution of a workflow's trigger carried, oldest execution first. */
export function eventIdsOf(executions: Execution[], triggerName: string): string[] {
  return executions
    .flatMap((e) => e.data?.resultData?.runData?.[triggerName]?.[0]?.data?.main?.[0] ?? [])
    .map((item) => String(item.json.event_id))
    .reverse();
}

export type { Execution };
