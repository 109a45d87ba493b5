import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type ChildRelay, spawnRelay } from '../helpers/child-relay.ts';
import { type Ack, LOAD_CONFIG, listAll, sendAll, sendSigned } from '../helpers/signed-load.ts';

const TOKEN = 'test-admin-token';
const ROUNDS = 3;
const PER_ROUND = 300;

describe('crash safety under kill -9', () => {
  const dirs: string[] = [];
  let relay: ChildRelay | null = null;
  after(async () => {
    relay?.child.kill('SIGKILL');
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged event exactly once across repeated kills, and still de-duplicates', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-crash-'));
    dirs.push(dataDir);
    const acked = new Map<string, string>(); // message id -> event id
    let beforeKill = new Set<string>();
    const record = (ack: Ack) => {
      const first = acked.get(ack.messageId);
      if (first === undefined) acked.set(ack.messageId, ack.eventId);
      else assert.equal(ack.eventId, first, `${ack.messageId} answered with two event ids`);
      // A message acknowledged before a kill can only be a duplicate now (within a round, two copies
      // in flight together may be answered in either order).
      if (beforeKill.has(ack.messageId)) assert.equal(ack.duplicate, true, `${ack.messageId} again after a restart`);
    };
    for (let round = 0; round < ROUNDS; round++) {
      relay = await spawnRelay({ dataDir, configYaml: LOAD_CONFIG });
      await assertStoredOnce(relay.url, acked);
      beforeKill = new Set(acked.keys());
      const fresh = Array.from({ length: PER_ROUND }, (_, i) => `msg_${round}_${i}`);
      // Every tenth request repeats a message: one from this round or one acknowledged before the last kill.
      const earlier = [...acked.keys()];
      const ids = fresh.flatMap((id, i) => (i % 10 === 9 ? [id, earlier[i] ?? fresh[i - 5]] : [id]));
      let ackedThisRound = 0;
      const child = relay.child;
      await sendAll(relay.url, ids, {
        concurrency: 32,
        onAck: (ack) => {
          record(ack);
          // Killed from inside the load, at once: 32 requests are in flight at that moment.
          if (++ackedThisRound === PER_ROUND / 3) child.kill('SIGKILL');
        },
      });
      assert.equal((await relay.exited).signal, 'SIGKILL');
      assert.ok(existsSync(join(dataDir, 'hookrelay.lock')), 'a killed relay leaves its lock behind');
      assert.ok(ackedThisRound < ids.length, 'the kill landed while requests were still in flight');
    }

    relay = await spawnRelay({ dataDir, configYaml: LOAD_CONFIG });
    await assertStoredOnce(relay.url, acked);
    const again = await sendSigned(relay.url, [...acked.keys()][0]);
    assert.deepEqual(again && [again.duplicate, again.eventId], [true, [...acked.values()][0]]);
    relay.child.kill('SIGTERM');
    assert.deepEqual(await relay.exited, { code: 0, signal: null });
    relay = null;
  });
});

/** Every acknowledged message is stored exactly once, under the id it was acknowledged with; nothing twice. */
async function assertStoredOnce(url: string, acked: Map<string, string>): Promise<void> {
  const stored = await listAll(url, TOKEN);
  assert.equal(new Set(stored.map((e) => e.id)).size, stored.length, 'no event id is listed twice');
  const byMessage = new Map<string, string[]>();
  for (const event of stored) {
    const key = String(event.provider_id);
    byMessage.set(key, [...(byMessage.get(key) ?? []), event.id]);
  }
  assert.deepEqual(
    [...byMessage].filter(([, events]) => events.length > 1),
    [],
    'no message is stored twice',
  );
  for (const [messageId, eventId] of acked) assert.deepEqual(byMessage.get(messageId), [eventId], `${messageId} kept`);
}
