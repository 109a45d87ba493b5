import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startRelay } from '../helpers/relay.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

describe('the Docker image definition', () => {
  it('is node:24-slim, non-root, with /data, HOST=0.0.0.0 and production dependencies only', async () => {
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^FROM node:24-slim$/m);
    assert.match(dockerfile, /^USER node$/m);
    assert.match(dockerfile, /^VOLUME \/data$/m);
    assert.match(dockerfile, /HOST=0\.0\.0\.0/);
    assert.match(dockerfile, /HOOKRELAY_DATA_DIR=\/data/);
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(dockerfile, /^CMD \["node", "bin\/hookrelay\.js", "start"\]$/m);
  });

  it('has a HEALTHCHECK whose command passes against a running relay and fails when it is down', async () => {
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    const match = /HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])$/m.exec(dockerfile);
    assert.ok(match, 'HEALTHCHECK ... CMD [exec form]');
    const [command, ...args] = JSON.parse(match[1]) as string[];
    assert.equal(command, 'node');
    const relay = await startRelay({ driver: 'memory' });
    const port = new URL(relay.url).port;
    try {
      await run(process.execPath, args, { env: { ...process.env, PORT: port }, timeout: 10_000 });
    } finally {
      await relay.stop();
    }
    await assert.rejects(run(process.execPath, args, { env: { ...process.env, PORT: port }, timeout: 10_000 }));
  });

  it('runs with production dependencies only: nothing the relay imports is a devDependency', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const builtins = new Set(builtinModules);
    const imported = new Set<string>();
    for (const dir of ['server', 'bin', 'plugins']) {
      const files = await readdir(join(ROOT, dir), { recursive: true }).catch(() => [] as string[]);
      // Test files beside the plugins run under npm test only, never in the image's relay.
      for (const file of files.filter((f) => /\.(ts|js)$/.test(f) && !/\.test\.(ts|js)$/.test(f))) {
        const text = await readFile(join(ROOT, dir, file), 'utf8');
        // `from '...'` with its space, so a SQL string such as `'from', $4::text` is not taken for an import.
        for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\(\s*)'([^'.][^']*)'/g)) imported.add(m[1]);
      }
    }
    assert.ok(imported.has('express'), 'the scan finds imports');
    for (const specifier of imported) {
      if (specifier.startsWith('node:') || builtins.has(specifier)) continue;
      const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
      assert.ok(name in pkg.dependencies, `${specifier} is imported by the relay but is not a production dependency`);
    }
  });
});
