import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { resolveAiConfig } from '../../server/ai/config.ts';
import { resolveWebhookSecret } from '../../server/ai/webhook-secret.ts';
import { loadConfig } from '../../server/config/load.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the ai config section', () => {
  it('loads examples/ai.yaml with its defaults applied', () => {
    const config = loadConfig({
      flags: { config: join(ROOT, 'examples/ai.yaml') },
      env: { OPENAI_API_KEY: 'sk-test' },
      cwd: ROOT,
    });
    const ai = resolveAiConfig(config.sections.ai);
    assert.deepEqual(
      ai.upstreams.map((u) => [u.name, u.models]),
      [
        ['local', ['llama*', 'qwen*']],
        ['openai', ['*']],
      ],
    );
    assert.equal(ai.upstreams[1]?.apiKey, 'sk-test');
    assert.equal(ai.maxResponses, 10_000);
  });

  it('refuses duplicate upstream names and a missing API key variable at start-up', () => {
    assert.throws(
      () =>
        resolveAiConfig({
          upstreams: [
            { name: 'a', baseURL: 'http://x/v1' },
            { name: 'a', baseURL: 'http://y/v1' },
          ],
        }),
      {
        name: 'ConfigError',
        message: /ai\.upstreams\[1\]\.name/,
      },
    );
    assert.throws(() => loadConfig({ flags: { config: join(ROOT, 'examples/ai.yaml') }, env: {}, cwd: ROOT }), /OPENAI_API_KEY/);
  });
});

describe('the webhook signing secret', () => {
  it('is generated once into the data dir with mode 0600 and kept across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hookrelay-ai-secret-'));
    try {
      const first = await resolveWebhookSecret(null, dir);
      assert.match(first.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
      assert.equal((await stat(join(dir, 'ai-webhook-secret'))).mode & 0o777, 0o600);
      assert.equal((await readFile(join(dir, 'ai-webhook-secret'), 'utf8')).trim(), first.secret);
      assert.equal((await resolveWebhookSecret(null, dir)).secret, first.secret);
      assert.equal((await resolveWebhookSecret('whsec_configuredconfigured', dir)).secret, 'whsec_configuredconfigured');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
