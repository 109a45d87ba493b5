import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import type { Cluster } from '../../server/cluster/cluster.ts';
import { waitFor } from '../helpers/wait.ts';

export interface ClusterHarness {
  /** A started cluster member. */
  member(): Promise<Cluster>;
  /**
   * Ends a member the way a killed process does: no more heartbeats, nothing released. Absent where
   * one process owns the store (there is no other instance to notice).
   */
  kill?(member: Cluster): Promise<void>;
  close(): Promise<void>;
}

/** Stops the whole process, timers and all, as a long GC pause or a descheduled VM would. */
function pauseProcess(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

let keyCount = 0;
const key = () => `work:${process.pid}:${++keyCount}`;

/**
 * The behaviour every Cluster implementation must have; implementations for several instances
 * (`shared`, with a harness that can kill a member) also the cases of the nested suite.
 */
export function clusterContract(name: string, make: () => Promise<ClusterHarness>, shared = false): void {
  describe(`Cluster contract: ${name}`, () => {
    const harnesses: ClusterHarness[] = [];
    after(async () => {
      for (const harness of harnesses) await harness.close();
    });
    async function fresh(): Promise<ClusterHarness> {
      const harness = await make();
      harnesses.push(harness);
      return harness;
    }

    it('grants free keys, grants its own keys again, and frees them on release', async () => {
      const harness = await fresh();
      const a = await harness.member();
      const [k1, k2] = [key(), key()];
      assert.deepEqual((await a.claim([k1, k2])).sort(), [k1, k2].sort());
      assert.deepEqual(await a.claim([k1]), [k1]);
      await a.release([k1]);
      assert.deepEqual(await a.claim([k1]), [k1]);
    });

    it('makes the one member a leader and calls gained once', async () => {
      const harness = await fresh();
      const a = await harness.member();
      let gained = 0;
      const withdraw = a.lead(`role-${key()}`, { gained: () => gained++, lost: () => assert.fail('lost') });
      await waitFor('leadership', () => gained === 1);
      withdraw();
      assert.equal(gained, 1);
    });

    it('delivers a message to listeners of its topic, not to those that stopped listening', async () => {
      const harness = await fresh();
      const a = await harness.member();
      const heard: unknown[] = [];
      const stopped: unknown[] = [];
      a.on('greeting', (m) => heard.push(m));
      a.on('other', (m) => heard.push(['wrong topic', m]));
      const off = a.on('greeting', (m) => stopped.push(m));
      off();
      await a.send('greeting', { hello: 1 });
      await waitFor('the message', () => heard.length === 1);
      assert.deepEqual(heard, [{ hello: 1 }]);
      assert.deepEqual(stopped, []);
    });

    it('vouches for a claim until a time in the future once started', async () => {
      const a = await (await fresh()).member();
      const claimedAt = performance.now();
      const k = key();
      assert.deepEqual(await a.claim([k]), [k]);
      assert.ok(a.heldUntil(claimedAt) > performance.now());
    });

    if (!shared) return;
    describe('with several instances', () => {
      it('does not grant a key a live instance holds; grants it once that instance stops', async () => {
        const harness = await fresh();
        const [a, b] = [await harness.member(), await harness.member()];
        const k = key();
        assert.deepEqual(await a.claim([k]), [k]);
        assert.deepEqual(await b.claim([k]), []);
        await b.release([k]); // not b's to release
        assert.deepEqual(await b.claim([k]), []);
        await a.stop();
        assert.deepEqual(await b.claim([k]), [k]);
      });

      it('grants each key to exactly one of two instances claiming at once', async () => {
        const harness = await fresh();
        const [a, b] = [await harness.member(), await harness.member()];
        const keys = Array.from({ length: 40 }, key);
        const [toA, toB] = await Promise.all([a.claim(keys), b.claim([...keys].reverse())]);
        assert.equal(toA.length + toB.length, keys.length);
        assert.deepEqual([...toA, ...toB].sort(), [...keys].sort());
      });

      it('hands a killed instance`s keys over after the lease and reports it lost', async () => {
        const harness = await fresh();
        const [a, b] = [await harness.member(), await harness.member()];
        const lost: string[] = [];
        b.onInstanceLost((id) => lost.push(id));
        const k = key();
        assert.deepEqual(await a.claim([k]), [k]);
        await harness.kill?.(a);
        assert.deepEqual(await b.claim([k]), [], 'granted before the lease ran out');
        await waitFor('the lost instance reported', () => lost.includes(a.instanceId), 10 * b.leaseMs);
        assert.deepEqual(await b.claim([k]), [k]);
      });

      it('stops vouching for its claims when its heartbeats cannot reach the store', async () => {
        const harness = await fresh();
        const a = await harness.member();
        const claimedAt = performance.now();
        await a.claim([key()]);
        assert.ok(a.heldUntil(claimedAt) > performance.now());
        await harness.kill?.(a);
        const last = a.heldUntil(claimedAt);
        // A whole lease past it: heartbeats (every third of the lease) were tried and failed meanwhile.
        await waitFor('a lease past the last horizon', () => performance.now() > last + a.leaseMs, 10 * a.leaseMs);
        assert.equal(a.heldUntil(claimedAt), last, 'the horizon moved without a heartbeat reaching the store');
        assert.ok(a.heldUntil(performance.now()) < performance.now(), 'a claim made now is vouched for');
      });

      it('after a pause longer than the lease, vouches only for claims made once heartbeats land again', async () => {
        const harness = await fresh();
        const a = await harness.member();
        const claimedAt = performance.now();
        await a.claim([key()]);
        pauseProcess(2 * a.leaseMs);
        // Another instance could have taken the claim during the pause; a heartbeat landing now does not undo that.
        await waitFor('a heartbeat after the pause', () => a.heldUntil(performance.now()) > performance.now(), 10 * a.leaseMs);
        assert.ok(a.heldUntil(claimedAt) < performance.now(), 'a claim from before the pause is still vouched for');
      });

      it('lets one instance lead a role, and another take it when the leader dies', async () => {
        const harness = await fresh();
        const [a, b] = [await harness.member(), await harness.member()];
        const role = `role-${key()}`;
        const leaders = new Set<string>();
        let gains = 0;
        for (const member of [a, b]) {
          member.lead(role, {
            gained: () => {
              gains++;
              leaders.add(member.instanceId);
            },
            lost: () => leaders.delete(member.instanceId),
          });
        }
        await waitFor('a leader', () => leaders.size === 1);
        const [first] = [...leaders];
        const leader = first === a.instanceId ? a : b;
        const other = leader === a ? b : a;
        await harness.kill?.(leader);
        leaders.delete(leader.instanceId);
        await waitFor('the other instance leading', () => leaders.has(other.instanceId), 10 * other.leaseMs);
        assert.equal(gains, 2);
      });

      it('delivers a message sent by one instance to the others', async () => {
        const harness = await fresh();
        const [a, b] = [await harness.member(), await harness.member()];
        const heard: unknown[] = [];
        b.on('cancel', (m) => heard.push(m));
        await a.send('cancel', { id: 'resp_1' });
        await waitFor('the message on the other instance', () => heard.length === 1);
        assert.deepEqual(heard, [{ id: 'resp_1' }]);
      });
    });
  });
}
