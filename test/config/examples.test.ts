import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfig } from '../../server/config/load.ts';
import { configSchema } from '../../server/config/schema.ts';
import { compileWorkflow } from '../../server/workflows/compile.ts';
import { resolveWorkflowsConfig } from '../../server/workflows/config.ts';
import { loadPlugins } from '../../server/workflows/plugin-registry.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const A_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('the documented configs', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hookrelay-examples-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('examples/hookrelay.yaml loads as it is, with every scheme', () => {
    const config = loadConfig({ flags: { config: join(ROOT, 'examples/hookrelay.yaml') }, env: {}, cwd: dir });
    const schemes = new Set(config.sources.map((s) => s.verify.scheme));
    assert.deepEqual([...schemes].sort(), ['github', 'hmac', 'none', 'openai', 'shopify', 'standard-webhooks', 'stripe']);
  });

  it('examples/compose: the relays share one PostgreSQL store, behind nginx set up for SSE and Socket.IO', async () => {
    const dirOf = join(ROOT, 'examples/compose');
    const config = loadConfig({
      flags: { config: join(dirOf, 'hookrelay.yaml') },
      env: { DATABASE_URL: 'postgres://hookrelay@postgres/hookrelay', GITHUB_WEBHOOK_SECRET: 's' },
      cwd: dir,
    });
    assert.deepEqual([config.store.driver, config.store.url], ['postgres', 'postgres://hookrelay@postgres/hookrelay']);
    const compose = parse(await readFile(join(dirOf, 'compose.yaml'), 'utf8'));
    assert.equal(compose.services.relay.deploy.replicas, 3);
    assert.ok(compose.services.postgres && compose.services.nginx);
    const nginx = await readFile(join(dirOf, 'nginx.conf'), 'utf8');
    for (const setting of ['proxy_buffering off', 'proxy_read_timeout 1h', 'Upgrade $http_upgrade', 'ip_hash']) {
      assert.ok(nginx.includes(setting), setting);
    }
  });

  it('examples/hookrelay.yaml allows every env variable the example workflows read', async () => {
    const config = loadConfig({ flags: { config: join(ROOT, 'examples/hookrelay.yaml') }, env: {}, cwd: dir });
    const settings = resolveWorkflowsConfig(config);
    assert.ok(settings.envNames.length > 0);
    const plugins = await loadPlugins({ specs: settings.plugins, baseDir: settings.baseDir });
    const files = (await readdir(join(ROOT, 'examples/workflows'))).filter((f) => f.endsWith('.yaml'));
    assert.ok(files.length >= 3);
    for (const file of files) {
      const text = await readFile(join(ROOT, 'examples/workflows', file), 'utf8');
      const { problems } = compileWorkflow(file, text, { plugins: (name) => plugins.get(name), env: settings.envNames });
      assert.deepEqual(problems, [], file);
    }
  });

  it("README's configuration reference and examples/hookrelay.yaml cover every config section", async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const reference = readme.split(/^## /m).find((part) => part.startsWith('Configuration reference'));
    assert.ok(reference, 'README has a "## Configuration reference" section');
    const example = parse(await readFile(join(ROOT, 'examples/hookrelay.yaml'), 'utf8')) as Record<string, unknown>;
    const sections = Object.keys(configSchema.properties);
    assert.ok(sections.length >= 9);
    for (const key of sections) {
      assert.match(reference, new RegExp(`\`(${key}|${key}\\.[^\`]*|${key}\\[\\][^\`]*)\``), `README names ${key}`);
      assert.ok(key in example, `examples/hookrelay.yaml has ${key}`);
    }
  });

  it("README's config snippets load when their variables are set", async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const fenced = [...readme.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map((m) => m[1]);
    const heredocs = [...readme.matchAll(/<<'YAML'\n([\s\S]*?)\nYAML\n/g)].map((m) => m[1]);
    const blocks = [...fenced, ...heredocs];
    const configs = blocks.filter((b) => /^sources:/m.test(b));
    // The walkthrough's config comes from `hookrelay init` (test/readme/walkthrough.test.ts runs it).
    assert.ok(configs.length >= 1, 'the schemes snippet');
    for (const [i, yaml] of configs.entries()) {
      const env = Object.fromEntries([...yaml.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => [m[1], A_SECRET]));
      const file = join(dir, `readme-${i}.yaml`);
      await writeFile(file, yaml);
      assert.ok(loadConfig({ flags: { config: file }, env, cwd: dir }).sources.length > 0);
    }
  });
});
