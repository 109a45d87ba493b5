import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { routeTable } from '../helpers/routes.ts';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/** `METHOD /path` for every row of README's API reference table (a row may list several of each). */
async function documentedRoutes(): Promise<Set<string>> {
  const readme = await readFile(README, 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('API reference'));
  assert.ok(section, 'README has an "## API reference" section');
  const found = new Set<string>();
  for (const row of section.split('\n').filter((line) => line.startsWith('| `'))) {
    const [methods, paths] = row.split('|').slice(1, 3);
    const ticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    for (const method of ticked(methods))
      for (const path of ticked(paths)) if (path.startsWith('/')) found.add(`${method} ${path.replace(/\?.*$/, '')}`);
  }
  return found;
}

describe("README's API reference", () => {
  let relay: TestRelay;
  before(async () => {
    relay = await startRelay({ driver: 'memory' });
  });
  after(() => relay.stop());

  it('has a row for every route the relay serves, and no row for a route it does not serve', async () => {
    const documented = await documentedRoutes();
    const served = new Set(routeTable(relay.relay.app).map((r) => `${r.method} ${r.path}`));
    assert.ok(served.size >= 40 && documented.size >= 40);
    for (const route of served) assert.ok(documented.has(route), `README documents ${route}`);
    for (const route of documented) assert.ok(served.has(route), `README documents ${route}, which the relay does not serve`);
  });
});
