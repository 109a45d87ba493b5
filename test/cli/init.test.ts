import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../server/config/load.ts';
import { runCli } from '../helpers/cli.ts';

describe('hookrelay init', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hookrelay-init-'));
    await writeFile(join(dir, '.gitignore'), 'node_modules/\ndata/');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes a config with a demo source and a fresh secret, an example workflow, and prints the next commands', async () => {
    const result = await runCli(['init', '--dir', dir]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /npx hookrelay start[\s\S]*npx hookrelay send --source demo[\s\S]*npx hookrelay tail/);
    const config = loadConfig({ cwd: dir, env: {} });
    assert.equal(config.file, join(dir, 'hookrelay.yaml'));
    assert.deepEqual(
      config.sources.map((s) => [s.name, s.verify.scheme]),
      [['demo', 'standard-webhooks']],
    );
    assert.match(config.sources[0].verify.secrets[0], /^whsec_[A-Za-z0-9+/]{32}$/);
    assert.match(await readFile(join(dir, 'hookrelay.yaml'), 'utf8'), /^# hookrelay config/);
    const validated = await runCli(['validate', join(dir, 'hookrelay.yaml'), join(dir, 'workflows', 'demo-log.yaml')]);
    assert.equal(validated.code, 0, validated.stdout);
    assert.equal(validated.stdout.match(/: ok$/gm)?.length, 2);
  });

  it('adds only the missing .gitignore entries and keeps what was there', async () => {
    assert.equal(
      await readFile(join(dir, '.gitignore'), 'utf8'),
      'node_modules/\ndata/\n# hookrelay\npayload.json\n*.local.yaml\n',
    );
  });

  it('refuses to overwrite without --force, and with --force writes a new secret', async () => {
    const before = await readFile(join(dir, 'hookrelay.yaml'), 'utf8');
    const refused = await runCli(['init', '--dir', dir]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /already exist.*--force overwrites/);
    assert.equal(await readFile(join(dir, 'hookrelay.yaml'), 'utf8'), before);
    const forced = await runCli(['init', '--dir', dir, '--force']);
    assert.equal(forced.code, 0);
    const after = await readFile(join(dir, 'hookrelay.yaml'), 'utf8');
    assert.notEqual(after, before);
    assert.equal((await readFile(join(dir, '.gitignore'), 'utf8')).match(/# hookrelay/g)?.length, 1);
  });
});
