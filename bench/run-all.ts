// npm run bench: every `bench:*` script in package.json, one after another (they share the machine, so
// never in parallel). Exits non-zero if any of them fails.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
const names = Object.keys(pkg.scripts).filter((name) => name.startsWith('bench:'));
const failed: string[] = [];
for (const name of names) {
  console.log(`\n=== npm run ${name}`);
  const { status } = spawnSync('npm', ['run', '--silent', name], { stdio: 'inherit' });
  if (status !== 0) failed.push(name);
}
console.log(failed.length ? `\nfailed: ${failed.join(', ')}` : `\nall ${names.length} benchmarks ran`);
process.exitCode = failed.length ? 1 : 0;
