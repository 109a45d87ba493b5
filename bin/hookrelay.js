#!/usr/bin/env node
// Launcher that runs on any Node.js: hookrelay needs Node 24 (TypeScript type stripping), which the
// project installs as the `node` devDependency. Older Node re-executes this command with that one.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const major = Number(process.versions.node.split('.')[0]);

if (major >= 24) {
  const { runCli } = await import('../server/cli.ts');
  await runCli(process.argv.slice(2));
} else {
  const bundled = join(here, '..', 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bundled)) {
    console.error(`hookrelay needs Node.js 24 or newer (this is ${process.version}). Run "npm install" in the project first.`);
    process.exit(1);
  }
  const child = spawn(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
