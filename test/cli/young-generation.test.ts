import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ChildRelay, spawnRelay } from '../helpers/child-relay.ts';

const FLAG = '--max-semi-space-size=8';
const GROWTH = '--heap-growing-percent=100';

/** The command line the kernel runs for this pid: the launcher must have replaced itself, not spawned. */
async function commandLine(pid: number): Promise<string[]> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
}

/** The environment the kernel started this pid with (after the launcher's execve). */
async function environment(pid: number): Promise<Map<string, string>> {
  const entries = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').filter(Boolean);
  return new Map(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

/** V8's new space (both semi-spaces) as prom-client reports it on /metrics. */
async function newSpaceBytes(relay: ChildRelay): Promise<number> {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  const match = /^hookrelay_nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)/m.exec(text);
  assert.ok(match, 'new space size on /metrics');
  return Number(match[1]);
}

async function stop(relay: ChildRelay): Promise<void> {
  relay.child.kill('SIGTERM');
  assert.deepEqual(await relay.exited, { code: 0, signal: null });
}

describe('hookrelay start sizes the young generation for a server', { skip: process.platform !== 'linux' }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hookrelay-young-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** Starts `hookrelay start` with this environment, hands it to `check` with its command line and environment, stops it. */
  async function started(
    env: Record<string, string>,
    check: (relay: ChildRelay, args: string[], environ: Map<string, string>) => Promise<void>,
  ): Promise<void> {
    const dataDir = await mkdtemp(join(dir, 'relay-'));
    const relay = await spawnRelay({ dataDir, configYaml: 'sources: []\n', env });
    try {
      const pid = relay.child.pid as number;
      await check(relay, await commandLine(pid), await environment(pid));
    } finally {
      await stop(relay);
    }
  }

  it('runs itself with 8 MB semi-spaces and a growth factor of 2, in the same process (no supervising parent)', async () => {
    await started({}, async (relay, args, environ) => {
      assert.ok(args.includes(FLAG), args.join(' '));
      assert.ok(args.includes(GROWTH), args.join(' '));
      assert.ok(args.includes('start'), args.join(' '));
      assert.ok((await newSpaceBytes(relay)) <= 2 * 8 * 1024 * 1024);
      assert.equal(environ.get('MALLOC_ARENA_MAX'), '2');
    });
  });

  it('leaves the size to the operator when NODE_OPTIONS sets one (0 = V8 decides)', async () => {
    await started({ NODE_OPTIONS: '--max-semi-space-size=0' }, async (_relay, args) => {
      assert.ok(!args.some((a) => a.startsWith('--max-semi-space-size')), args.join(' '));
      assert.ok(args.includes(GROWTH), 'only the value the operator set is left to them');
      assert.ok(args.includes('start'), args.join(' '));
    });
  });

  it('keeps the malloc arena count the operator chose', async () => {
    await started({ MALLOC_ARENA_MAX: '4' }, async (_relay, args, environ) => {
      assert.ok(args.includes(FLAG), 'the heap flags still apply');
      assert.equal(environ.get('MALLOC_ARENA_MAX'), '4');
    });
  });
});
