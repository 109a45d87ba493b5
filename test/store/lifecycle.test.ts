import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type ChildRelay, spawnRelay } from '../helpers/child-relay.ts';
import { type Ack, LOAD_CONFIG, listAll, sendAll } from '../helpers/signed-load.ts';

const TOKEN = 'test-admin-token';

describe('data dir ownership, damaged files and graceful stop (child relays)', () => {
  const dirs: string[] = [];
  const running: ChildRelay[] = [];
  after(async () => {
    for (const relay of running) relay.child.kill('SIGKILL');
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  async function dataDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'hookrelay-life-'));
    dirs.push(dir);
    return dir;
  }
  async function start(dir: string): Promise<ChildRelay> {
    const relay = await spawnRelay({ dataDir: dir, configYaml: LOAD_CONFIG });
    running.push(relay);
    return relay;
  }

  it('refuses a second relay on a data dir in use, and takes over the lock of a killed one', async () => {
    const dir = await dataDir();
    const first = await start(dir);
    await assert.rejects(
      spawnRelay({ dataDir: dir, configYaml: LOAD_CONFIG }),
      new RegExp(`data dir ${dir} is in use by another running relay \\(pid ${first.child.pid}`),
    );
    assert.equal((await fetch(`${first.url}/healthz`)).status, 200, 'the first relay is untouched');
    first.child.kill('SIGKILL');
    await first.exited;
    assert.equal(await readFile(join(dir, 'hookrelay.lock'), 'utf8'), String(first.child.pid));
    const second = await start(dir);
    assert.equal((await fetch(`${second.url}/readyz`)).status, 200);
    second.child.kill('SIGTERM');
    await second.exited;
  });

  it('stops start-up on a damaged event segment or table, names file and line, and changes no byte', async () => {
    const dir = await dataDir();
    await mkdir(join(dir, 'events'), { recursive: true });
    const segment = join(dir, 'events', 'seg_0000000000000000000000.jsonl');
    const damaged = '{"e":{"id":"evt_1","source":"load","type":"x"},"c":"text/plain","r":""}\n{"e": nope}\n{"e":';
    await writeFile(segment, damaged);
    await assert.rejects(spawnRelay({ dataDir: dir, configYaml: LOAD_CONFIG }), new RegExp(`${segment}:2: not valid JSON`));
    assert.equal(await readFile(segment, 'utf8'), damaged);
    assert.ok(!existsSync(join(dir, 'hookrelay.lock')), 'a refused start releases the data dir');

    await rm(segment);
    await mkdir(join(dir, 'state'), { recursive: true });
    const tokens = join(dir, 'state', 'tokens.json');
    await writeFile(tokens, '{\n  "rows": [\n    {"id": "tok_1",}\n  ]\n}\n');
    await assert.rejects(spawnRelay({ dataDir: dir, configYaml: LOAD_CONFIG }), new RegExp(`${tokens}:3: not valid JSON`));
    assert.equal(await readFile(tokens, 'utf8'), '{\n  "rows": [\n    {"id": "tok_1",}\n  ]\n}\n');
    assert.ok(!existsSync(join(dir, 'hookrelay.lock')), 'a subsystem that cannot start releases the data dir too');
  });

  it('on SIGTERM answers what is in flight, keeps every acknowledged event, removes its lock and exits 0', async () => {
    const dir = await dataDir();
    const relay = await start(dir);
    const acks: Ack[] = [];
    const ids = Array.from({ length: 400 }, (_, i) => `msg_term_${i}`);
    const load = sendAll(relay.url, ids, {
      concurrency: 32,
      // The stop comes from inside the load, at once: 32 requests are in flight at that moment.
      onAck: (ack) => acks.push(ack) === 50 && relay.child.kill('SIGTERM'),
    });
    assert.deepEqual(await relay.exited, { code: 0, signal: null });
    await load;
    assert.ok(acks.length < ids.length, 'the stop came while requests were still being sent');
    assert.ok(!existsSync(join(dir, 'hookrelay.lock')), 'the lock file is removed');
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.includes('lock')),
      [],
    );
    const restarted = await start(dir);
    const stored = new Map((await listAll(restarted.url, TOKEN)).map((e) => [e.provider_id, e.id]));
    for (const ack of acks) assert.equal(stored.get(ack.messageId), ack.eventId, `${ack.messageId} kept`);
    restarted.child.kill('SIGTERM');
    await restarted.exited;
  });
});
