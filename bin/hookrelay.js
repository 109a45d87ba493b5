#!/usr/bin/env node
// Launcher that runs on any Node.js: hookrelay needs Node 24 (TypeScript type stripping), which the
// project installs as the `node` devDependency. Older Node re-executes this command with that one.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const self = fileURLToPath(import.meta.url);
const major = Number(process.versions.node.split('.')[0]);
const args = process.argv.slice(2);

/**
 * V8 lets the young generation grow to two 64 MB semi-spaces under a burst of concurrent requests and
 * keeps them while traffic lasts: most of a busy relay's resident memory above its live data. With 8 MB
 * semi-spaces the AI responses benchmark peaks about 60 MB lower, for a few percent more CPU per ingested
 * webhook. What survives them moves to the old generation, where V8 lets garbage pile up to as much as
 * four times the live data after each full collection when allocation is fast (a burst of requests,
 * each waiting for its durable writes); a growth factor of 2 caps that at twice, about 60 to 80 MB
 * lower peaks in the same benchmark for a little more CPU (docs/benchmarks.md, "AI responses"). A value
 * the operator chose wins (a node flag, e.g. `node --heap-growing-percent=0 bin/hookrelay.js start`;
 * NODE_OPTIONS for the semi-space size, the one of the two Node allows there; 0 = V8's own sizing).
 */
const SERVER_HEAP_FLAGS = [
  { flag: '--max-semi-space-size=8', chosen: /--max[-_]semi[-_]space[-_]size/ },
  { flag: '--heap-growing-percent=100', chosen: /--heap[-_]growing[-_]percent/ },
];
const chosenByOperator = (pattern) => [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => pattern.test(a));
const serverFlags = () =>
  args[0] === 'start' ? SERVER_HEAP_FLAGS.filter((f) => !chosenByOperator(f.chosen)).map((f) => f.flag) : [];
/**
 * glibc gives threads that allocate at the same time malloc arenas of their own (up to 8 per core);
 * what is freed stays in its arena, and a fragmented arena is seldom handed back to the system. Node's
 * file-system and crypto threads get arenas of their own that way. Two are enough for one event loop
 * and its few worker threads;
 * measured, 1,000 concurrent AI responses peak about 20 MB lower with no CPU cost that shows. The
 * operator's value, when set, wins; other C libraries ignore the variable.
 */
const serverEnv = () =>
  args[0] === 'start' && process.env.MALLOC_ARENA_MAX === undefined ? { ...process.env, MALLOC_ARENA_MAX: '2' } : null;

if (major >= 24) {
  const flags = serverFlags();
  const env = serverEnv();
  // Heap sizes (and the C library's arenas) are fixed when the process starts, so they need a fresh
  // start: execve replaces this process (same pid, signals and stdio; nothing has run yet), no
  // supervising parent is left.
  if ((flags.length > 0 || env) && typeof process.execve === 'function') {
    try {
      process.execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, self, ...args], env ?? process.env);
    } catch {
      // Could not re-execute (a restricted platform): run here with V8's own sizing.
    }
  }
  const { runCli } = await import('../server/cli.ts');
  await runCli(args);
} else {
  const bundled = join(here, '..', 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bundled)) {
    console.error(`hookrelay needs Node.js 24 or newer (this is ${process.version}). Run "npm install" in the project first.`);
    process.exit(1);
  }
  const child = spawn(bundled, [...serverFlags(), self, ...args], { stdio: 'inherit', env: serverEnv() ?? process.env });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
