import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../server/errors.ts';
import { loadPlugins } from '../../server/workflows/plugin-registry.ts';

const SDK = fileURLToPath(new URL('../../plugins/sdk.ts', import.meta.url));

async function pluginFolder(name: string, body: string): Promise<string> {
  const base = await mkdtemp(join(tmpdir(), 'hookrelay-plugin-'));
  const dir = join(base, name);
  await mkdir(dir);
  await writeFile(join(dir, 'index.ts'), `import { definePlugin } from ${JSON.stringify(SDK)};\n${body}`);
  return dir;
}

const plugin = (fields: string) => `export default definePlugin({
  version: '1.0.0', apiVersion: 1, schema: { type: 'object' }, async run() { return 1; }, ${fields} });`;

async function startupError(specs: string[]): Promise<ConfigError> {
  const error = await loadPlugins({ specs, baseDir: tmpdir() }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
  return error;
}

describe('step plugins are checked at start-up', () => {
  it('loads every built-in step', async () => {
    const registry = await loadPlugins({ specs: [], baseDir: tmpdir() });
    const names = registry.list().map((p) => p.name);
    for (const name of ['http.request', 'transform', 'filter', 'delay', 'wait.event', 'emit', 'deliver', 'log', 'state.put']) {
      assert.ok(names.includes(name), `${name} is missing`);
    }
  });

  it('refuses a plugin whose name a built-in already has', async () => {
    const dir = await pluginFolder('dup', plugin("name: 'transform'"));
    const error = await startupError([dir]);
    assert.match(
      error.message,
      /workflows\.plugins\[0\]: step plugin "transform" from .* is already provided by plugins\/transform/,
    );
  });

  it('refuses a plugin written for another API version', async () => {
    const dir = await pluginFolder('old', plugin("name: 'old.step', apiVersion: 0"));
    const error = await startupError([dir]);
    assert.match(error.message, /written for plugin API version 0; this relay supports version 1/);
  });

  it('refuses a plugin whose with: schema is not an object schema', async () => {
    const dir = await pluginFolder('bad', plugin("name: 'bad.schema', schema: { type: 'string' }"));
    const error = await startupError([dir]);
    assert.match(error.message, /needs a JSON Schema of type "object"/);
  });

  it('names a plugin path that does not exist', async () => {
    const error = await startupError(['./no/such/plugin']);
    assert.match(error.message, /workflows\.plugins\[0\]: cannot find plugin "\.\/no\/such\/plugin"/);
  });
});
