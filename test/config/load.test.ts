import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../server/config/load.ts';
import { ConfigError, ConfigProblems } from '../../server/errors.ts';
import { runCli } from '../helpers/cli.ts';

const SW = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('loading the config file', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hookrelay-config-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  let n = 0;
  async function file(yaml: string): Promise<string> {
    const path = join(dir, `config-${n++}.yaml`);
    await writeFile(path, yaml);
    return path;
  }
  function refusal(path: string, env: Record<string, string> = {}): ConfigError {
    try {
      loadConfig({ flags: { config: path }, env, cwd: dir });
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.file, path);
      assert.ok(!error.message.includes('\n'), 'one line');
      return error;
    }
    assert.fail('expected the config to be refused');
  }

  it('reports every problem of a file in one run, each at its file:line:col', async () => {
    const path = await file(`port: 80800
sources:
  - name: a
    verify: { scheme: carrier-pigeon }
  - name: b
    verify: { scheme: github, secrets: ["\${UNSET_SECRET}"] }
  - name: c
    verify: { scheme: standard-webhooks, secrets: ["not-whsec"] }
  - name: d
    verify: { scheme: github, secrets: [ok] }
colour: red
`);
    let error: unknown;
    try {
      loadConfig({ flags: { config: path }, env: {}, cwd: dir });
    } catch (caught) {
      error = caught;
    }
    assert.ok(error instanceof ConfigProblems, String(error));
    assert.deepEqual(
      error.problems.map((p) => [p.position?.line, p.keyPath]),
      [
        [1, 'port'],
        [4, 'sources[0].verify.scheme'],
        [6, 'sources[1].verify.secrets[0]'],
        [8, 'sources[2].verify.secrets[0]'],
        [11, 'colour'],
      ],
    );
    for (const line of error.message.split('\n')) assert.match(line, new RegExp(`^${path}:\\d+:\\d+: `));
    const validated = await runCli(['validate', path], { env: { UNSET_SECRET: '' } });
    assert.equal(validated.code, 1);
    assert.equal(validated.stdout.trim().split('\n').length, 5, validated.stdout);
  });

  it('replaces $NAME references, with and without a :-default, from the environment', async () => {
    const path = await file(`sources:
  - name: gh
    verify: { scheme: github, secrets: ["\${GH_SECRET}", "\${OLD_SECRET:-fallback}"] }
  - name: sw
    description: "\${DESC:-made by \${NOBODY:-x}}"
    verify: { scheme: standard-webhooks, secrets: ["\${SW_SECRET}"] }
`);
    const config = loadConfig({ flags: { config: path }, env: { GH_SECRET: 'from-env', SW_SECRET: SW }, cwd: dir });
    assert.deepEqual(config.sources[0].verify.secrets, ['from-env', 'fallback']);
    assert.equal(config.sources[1].verify.secrets[0], SW);
    assert.equal(config.sources[0].verify.toleranceSeconds, 300);
  });

  it('turns a whole reference into the number or boolean the schema asks for, and nothing else', async () => {
    const path = await file(`port: \${P}
limits:
  bodyBytes: \${MAX:-2048}
  rejections: "\${R}"
sources:
  - name: gh
    description: \${P}
    insecure: \${NO}
    verify: { scheme: github, secrets: ["\${P}"], toleranceSeconds: "\${TOL}" }
`);
    const config = loadConfig({ flags: { config: path }, env: { P: '9001', R: '20', NO: 'false', TOL: '60' }, cwd: dir });
    assert.equal(config.port, 9001);
    assert.deepEqual([config.limits.bodyBytes, config.limits.rejections], [2048, 20]);
    const [gh] = config.sources;
    assert.deepEqual([gh.description, gh.insecure, gh.verify.secrets, gh.verify.toleranceSeconds], ['9001', false, ['9001'], 60]);
    const error = refusal(await file(`port: \${P}\n`), { P: 'eighty' });
    assert.equal(error.keyPath, 'port');
    assert.match(error.message, /expected integer/);
    assert.equal(refusal(await file(`port: "80\${P}"\n`), { P: '80' }).keyPath, 'port', 'text around a reference stays text');
  });

  it('names the file, line, key path and variable when a variable is missing', async () => {
    const path = await file(`sources:
  - name: gh
    verify:
      scheme: github
      secrets: ["\${GH_SECRET}"]
`);
    const error = refusal(path);
    assert.equal(error.keyPath, 'sources[0].verify.secrets[0]');
    assert.equal(error.position?.line, 5);
    assert.match(error.message, /GH_SECRET is not set/);
    assert.ok(error.message.startsWith(`${path}:5:`), error.message);
  });

  it('names the key path and what was expected for an invalid value, an unknown key and a missing key', async () => {
    const cases: Array<[string, string, RegExp]> = [
      [
        'sources:\n  - name: x\n    verify: { scheme: gitlab, secrets: [a] }\n',
        'sources[0].verify.scheme',
        /expected one of: standard-webhooks, openai, github/,
      ],
      ['limits:\n  bodyBytes: 10\n', 'limits.bodyBytes', /expected at least 1024/],
      ['limits:\n  bodyByte: 2048\n', 'limits.bodyByte', /not a known key/],
      ['sources:\n  - verify: { scheme: github, secrets: [a] }\n', 'sources[0].name', /required/],
      ['port: eighty\n', 'port', /expected integer/],
      ['sources: {}\n', 'sources', /expected array/],
    ];
    for (const [yaml, keyPath, expected] of cases) {
      const error = refusal(await file(yaml));
      assert.equal(error.keyPath, keyPath, error.message);
      assert.match(error.message, expected);
      assert.ok(error.position, `a line for ${keyPath}`);
    }
  });

  it('reports YAML syntax errors with their line', async () => {
    const error = refusal(await file('sources:\n  - name: [unclosed\n'));
    assert.match(error.message, /not valid YAML/);
    assert.ok(error.position && error.position.line >= 2);
  });

  it('takes flags over environment over the file, and the file over defaults', async () => {
    const path = await file('port: 9001\nhost: 10.0.0.1\ndataDir: ./from-file\n');
    const fromFile = loadConfig({ flags: { config: path }, env: {}, cwd: dir });
    assert.deepEqual([fromFile.port, fromFile.host, fromFile.dataDir], [9001, '10.0.0.1', join(dir, 'from-file')]);
    const env = { PORT: '9002', HOST: '10.0.0.2', HOOKRELAY_DATA_DIR: './from-env', HOOKRELAY_CONFIG: path };
    const fromEnv = loadConfig({ env, cwd: dir });
    assert.deepEqual([fromEnv.port, fromEnv.host, fromEnv.dataDir], [9002, '10.0.0.2', join(dir, 'from-env')]);
    const fromFlags = loadConfig({ flags: { port: '9003', host: '10.0.0.3', dataDir: 'from-flag' }, env, cwd: dir });
    assert.deepEqual([fromFlags.port, fromFlags.host, fromFlags.dataDir], [9003, '10.0.0.3', join(dir, 'from-flag')]);
    const defaults = loadConfig({ env: {}, cwd: dir });
    assert.deepEqual(
      [defaults.port, defaults.host, defaults.dataDir, defaults.file],
      [8080, '127.0.0.1', join(dir, 'data'), null],
    );
  });

  it('takes the postgres driver with its URL from the environment, and refuses it without a URL', async () => {
    const withUrl = await file(`store: { driver: postgres, url: "\${DATABASE_URL}", schema: relay }\n`);
    const config = loadConfig({ flags: { config: withUrl }, env: { DATABASE_URL: 'postgres://db/relay' }, cwd: dir });
    assert.deepEqual([config.store.driver, config.store.url, config.store.schema], ['postgres', 'postgres://db/relay', 'relay']);
    const error = refusal(await file('store: { driver: postgres }\n'));
    assert.equal(error.keyPath, 'store.url');
    assert.match(error.message, /needs a connection URL/);
  });

  it('refuses a bad port from a flag or the environment', () => {
    assert.throws(() => loadConfig({ flags: { port: '70000' }, env: {}, cwd: dir }), /--port: expected a port number/);
    assert.throws(() => loadConfig({ env: { PORT: 'x' }, cwd: dir }), /PORT: expected a port number/);
  });

  it('refuses scheme none unless the source says insecure: true', async () => {
    const error = refusal(await file('sources:\n  - name: dev\n    verify: { scheme: none }\n'));
    assert.equal(error.keyPath, 'sources[0]');
    assert.match(error.message, /insecure: true/);
    const allowed = loadConfig({
      flags: { config: await file('sources:\n  - name: dev\n    insecure: true\n    verify: { scheme: none }\n') },
      env: {},
      cwd: dir,
    });
    assert.equal(allowed.sources[0].insecure, true);
  });

  it('refuses a Standard Webhooks secret that is not whsec_ + base64, without printing the secret', async () => {
    const error = refusal(
      await file(`sources:\n  - name: sw\n    verify: { scheme: standard-webhooks, secrets: ["${SW}", "plain-text-secret"] }\n`),
    );
    assert.equal(error.keyPath, 'sources[0].verify.secrets[1]');
    assert.match(error.message, /whsec_/);
    assert.ok(!error.message.includes('plain-text-secret'));
  });

  it('refuses two sources with the same name', async () => {
    const error = refusal(
      await file(
        'sources:\n  - name: gh\n    verify: { scheme: github, secrets: [a] }\n  - name: gh\n    verify: { scheme: github, secrets: [b] }\n',
      ),
    );
    assert.equal(error.keyPath, 'sources[1].name');
    assert.equal(error.position?.line, 4);
    assert.match(error.message, /duplicate source name "gh"/);
  });

  it('refuses a named config file that does not exist', () => {
    assert.throws(() => loadConfig({ flags: { config: 'missing.yaml' }, env: {}, cwd: dir }), /config file not found/);
  });
});
