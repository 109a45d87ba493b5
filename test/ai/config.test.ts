import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { resolveAiConfig } from '../../server/ai/config.ts';
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
