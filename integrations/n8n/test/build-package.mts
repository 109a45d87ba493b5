// Builds and lints n8n-nodes-hookrelay with its own tool chain (installed from its lock file when missing or
// out of date) and packs it, as a publisher would. Run as a script before the tests that load it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(args: string[], cwd: string): string {
  return execFileSync(npm, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CI: '1' },
  });
}

/** Installs the package's dev tool chain when node_modules is missing or older than the lock file. */
export function installToolchain(): void {
  const installed = join(packageDir, 'node_modules/.package-lock.json');
  const lock = join(packageDir, 'package-lock.json');
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return;
  run(['ci', '--no-audit', '--no-fund'], packageDir);
}

/** Builds dist/ with `n8n-node build`. */
export function build(): void {
  installToolchain();
  run(['run', 'build'], packageDir);
}

/** Lints with `n8n-node lint` (n8n's rules for community nodes; an error fails). */
export function lint(): void {
  run(['run', 'lint'], packageDir);
}

/** `npm pack` into a folder; returns the tarball's path. */
export function pack(into: string): string {
  mkdirSync(into, { recursive: true });
  for (const old of readdirSync(into).filter((f) => f.endsWith('.tgz'))) rmSync(join(into, old));
  const name = run(['pack', '--pack-destination', into, '--loglevel=error'], packageDir).trim().split('\n').at(-1) as string;
  return join(into, name);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  build();
  lint();
}
