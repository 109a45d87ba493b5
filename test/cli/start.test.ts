import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { commands } from '../../server/cli.ts';
import { spawnRelay } from '../helpers/child-relay.ts';
import { runCli } from '../helpers/cli.ts';

describe('hookrelay start and --help in a child process', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hookrelay-cli-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('--help lists every command with its usage and exits 0', async () => {
    const { code, stdout } = await runCli(['--help']);
    assert.equal(code, 0);
    assert.ok(commands.length >= 3);
    for (const command of commands) {
      assert.match(stdout, new RegExp(`^  ${command.name}\\s+\\S`, 'm'), command.name);
      assert.ok(stdout.includes(command.usage), `usage of ${command.name}`);
    }
  });

  it('exits 2 on an unknown command, naming it', async () => {
    const { code, stderr } = await runCli(['launch']);
    assert.equal(code, 2);
    assert.match(stderr, /unknown command "launch"/);
  });

  it('exits non-zero with one clear line naming file, line, key path and expectation on a bad config', async () => {
    const config = join(dir, 'bad.yaml');
    await writeFile(config, 'sources:\n  - name: gh\n    verify: { scheme: gitlab, secrets: [x] }\n');
    const { code, stderr } = await runCli(['start', '--config', config, '--port', '0', '--data-dir', join(dir, 'data1')]);
    assert.equal(code, 1);
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.equal(
      lines[0],
      `hookrelay: ${config}:3:23: sources[0].verify.scheme: expected one of: ${'standard-webhooks, openai, github, stripe, shopify, hmac, none'}`,
    );
  });

  it('validate prints file:line:col: key path: expectation per bad file and exits 1; ok and 0 for good files', async () => {
    const bad = join(dir, 'validate-bad.yaml');
    const good = join(dir, 'validate-good.yaml');
    await writeFile(bad, 'limits:\n  bodyBytes: 12\n');
    await writeFile(good, 'sources:\n  - name: gh\n    verify: { scheme: github, secrets: [x] }\n');
    const failed = await runCli(['validate', good, bad]);
    assert.equal(failed.code, 1);
    assert.deepEqual(failed.stdout.trim().split('\n'), [`${good}: ok`, `${bad}:2:14: limits.bodyBytes: expected at least 1024`]);
    const passed = await runCli(['validate', good]);
    assert.deepEqual([passed.code, passed.stdout.trim()], [0, `${good}: ok`]);
  });

  it('exits non-zero naming the variable when the config refers to a missing one', async () => {
    const config = join(dir, 'env.yaml');
    await writeFile(config, `sources:\n  - name: gh\n    verify: { scheme: github, secrets: ["\${NOT_SET_ANYWHERE}"] }\n`);
    const { code, stderr } = await runCli(['start', '--config', config, '--port', '0', '--data-dir', join(dir, 'data2')]);
    assert.equal(code, 1);
    assert.match(
      stderr.trim(),
      /^hookrelay: .*env\.yaml:3:\d+: sources\[0\]\.verify\.secrets\[0\]: environment variable NOT_SET_ANYWHERE is not set/,
    );
  });

  it('exits with one line saying the disk is full, and leaves no lock file, when restarted on a full disk', async () => {
    const dataDir = join(dir, 'data-full');
    await mkdir(dataDir);
    const first = await spawnRelay({ dataDir, configYaml: 'sources: []\n' });
    first.child.kill('SIGTERM');
    assert.deepEqual(await first.exited, { code: 0, signal: null });
    const { code, stderr } = await runCli(['start', '--port', '0', '--data-dir', dataDir], {
      env: { NODE_OPTIONS: `--import ${fileURLToPath(new URL('../helpers/full-disk-child.ts', import.meta.url))}` },
    });
    assert.equal(code, 1);
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0], /^hookrelay: cannot start: the disk holding the data dir is full; free some space/);
    assert.deepEqual(
      (await readdir(dataDir)).filter((name) => name.startsWith('hookrelay.lock')),
      [],
    );
  });

  it('warns at start-up about a source that accepts unsigned webhooks, and stops cleanly on SIGTERM', async () => {
    const dataDir = join(dir, 'data3');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dataDir);
    const relay = await spawnRelay({
      dataDir,
      configYaml: 'sources:\n  - name: dev\n    insecure: true\n    verify: { scheme: none }\n',
    });
    try {
      const warning = relay.logs.find((l) => l.level === 40 && l.source === 'dev');
      assert.ok(warning, JSON.stringify(relay.logs));
      assert.match(String(warning.msg), /UNSIGNED/);
    } finally {
      relay.child.kill('SIGTERM');
    }
    assert.deepEqual(await relay.exited, { code: 0, signal: null });
  });

  it('warns at start-up when no source is configured, and not when one is', async () => {
    const { mkdir } = await import('node:fs/promises');
    const bare = join(dir, 'data4');
    await mkdir(bare);
    await mkdir(join(dir, 'data5'));
    const empty = await spawnRelay({ dataDir: bare, configYaml: 'sources: []\n' });
    const withSource = await spawnRelay({
      dataDir: join(dir, 'data5'),
      configYaml: 'sources:\n  - name: gh\n    verify: { scheme: github, secrets: ["s"] }\n',
    }).catch(async (error) => {
      empty.child.kill('SIGTERM');
      throw error;
    });
    try {
      const warning = empty.logs.find((l) => l.level === 40 && /no sources are configured/.test(String(l.msg)));
      assert.ok(warning, JSON.stringify(empty.logs));
      assert.ok(!withSource.logs.some((l) => /no sources are configured/.test(String(l.msg))));
    } finally {
      empty.child.kill('SIGTERM');
      withSource.child.kill('SIGTERM');
    }
    assert.deepEqual(await empty.exited, { code: 0, signal: null });
    assert.deepEqual(await withSource.exited, { code: 0, signal: null });
  });
});
