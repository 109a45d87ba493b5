import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitForRow } from '../../server/store/wait-for-row.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

type Row = { status: string };

/** A one-row store that reports each write to its watchers. */
function oneRow(initial: Row | undefined) {
  let row = initial;
  const watchers = new Set<() => void>();
  return {
    read: () => row,
    write(next: Row | undefined) {
      row = next;
      for (const w of watchers) w();
    },
    watch(changed: () => void) {
      watchers.add(changed);
      return () => watchers.delete(changed);
    },
    get watching() {
      return watchers.size;
    },
  };
}

describe('waiting until a row reaches a state', () => {
  it('resolves at once when the row is already there, and on the write that brings it there', async () => {
    const clock = new FakeClock();
    const store = oneRow({ status: 'done' });
    const reached = (r: Row | undefined) => r?.status === 'done';
    assert.deepEqual(await waitForRow({ clock, ...store, reached }), { status: 'done' });
    store.write({ status: 'running' });
    const waiting = waitForRow({ clock, ...store, reached, timeoutMs: 1000 });
    store.write({ status: 'still running' });
    store.write({ status: 'done' });
    assert.deepEqual(await waiting, { status: 'done' });
    assert.equal(store.watching, 0, 'stops watching once settled');
    assert.equal(clock.nextTimerAt(), undefined, 'clears its timers once settled');
  });

  it('rejects after the timeout, repeating its request meanwhile, and resolves with the row on abort', async () => {
    const clock = new FakeClock();
    const store = oneRow({ status: 'running' });
    let sent = 0;
    const reached = (r: Row | undefined) => r?.status === 'done';
    const timingOut = waitForRow({ clock, ...store, reached, timeoutMs: 3500, repeat: { everyMs: 1000, run: () => sent++ } });
    clock.advance(3499);
    assert.equal(sent, 3);
    clock.advance(1);
    await assert.rejects(timingOut, /timeout/);
    assert.equal(store.watching, 0);
    const abort = new AbortController();
    const aborted = waitForRow({ clock, ...store, reached, signal: abort.signal });
    abort.abort();
    assert.deepEqual(await aborted, { status: 'running' });
    assert.equal(store.watching, 0);
  });
});
