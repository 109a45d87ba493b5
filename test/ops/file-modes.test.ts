import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { ADMIN_TOKEN, startRelay } from '../helpers/relay.ts';

// Issue 14 item 9: endpoint signing secrets, tokens, events and uploads are readable by the relay's
// own user only, also in a data dir an older version wrote with looser modes.
const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Every path under `dir` (and `dir` itself) whose permission bits are not the private ones. */
async function looseModes(dir: string): Promise<string[]> {
  const loose: string[] = [];
  const check = async (path: string, isDir: boolean) => {
    const mode = (await stat(path)).mode & 0o777;
    if (mode !== (isDir ? 0o700 : 0o600)) loose.push(`${relative(dir, path) || '.'} ${mode.toString(8)}`);
  };
  await check(dir, true);
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    await check(join(entry.parentPath, entry.name), entry.isDirectory());
  }
  return loose;
}

describe('data dir file modes', () => {
  it('keeps every file it writes 0600 and every directory 0700: endpoints, tokens, events, uploads', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-modes-'));
    dirs.push(dataDir);
    await chmod(dataDir, 0o755);
    const relay = await startRelay({ dataDir, sources: [{ name: 'dev', insecure: true, verify: { scheme: 'none' } }] });
    try {
      const headers = { ...relay.auth, 'content-type': 'application/json' };
      const post = async (path: string, body: unknown) => {
        const res = await fetch(`${relay.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
        assert.ok(res.ok, `${path}: ${res.status} ${await res.text()}`);
      };
      await post('/v1/endpoints', { url: 'http://127.0.0.1:9/hook' });
      await post('/v1/tokens', { name: 'reader' });
      await post('/hooks/dev', { type: 'modes' });
      const form = new FormData();
      form.append('purpose', 'batch');
      form.append('file', new Blob(['{"custom_id":"a"}\n']), 'input.jsonl');
      const upload = await fetch(`${relay.url}/v1/files`, { method: 'POST', headers: relay.auth, body: form });
      await upload.body?.cancel();
      assert.deepEqual(await looseModes(dataDir), []);
      const names = (await readdir(dataDir, { recursive: true })).map(String);
      for (const expected of ['state/endpoints.json', 'state/tokens.json', 'ai-webhook-secret', 'tables/files.jsonl']) {
        assert.ok(names.includes(expected), `${expected} missing from ${names.join(', ')}`);
      }
    } finally {
      await relay.stop();
    }
  });

  it('makes an existing data dir with group- and world-readable files private at start-up', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-modes-'));
    dirs.push(dataDir);
    await mkdir(join(dataDir, 'state'), { mode: 0o755 });
    await writeFile(join(dataDir, 'state', 'endpoints.json'), '{"rows":[]}', { mode: 0o644 });
    await writeFile(join(dataDir, 'admin-token'), `${ADMIN_TOKEN}\n`, { mode: 0o644 });
    await chmod(dataDir, 0o755);
    assert.notDeepEqual(await looseModes(dataDir), []);
    const relay = await startRelay({ dataDir });
    await relay.stop();
    assert.deepEqual(await looseModes(dataDir), []);
  });
});
