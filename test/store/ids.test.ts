import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventDeliveryId } from '../../server/delivery/fanout.ts';
import { createIdFactory, idBefore, idFloor, idTime } from '../../server/ids.ts';
import { triggeredRunId } from '../../server/workflows/run-store.ts';

// Ids are stored and compared as strings: these exact values were made by earlier releases, so a
// change here would make ids on disk sort or parse differently.
const MS = 1_765_000_000_123;
const newId = createIdFactory(
  () => MS,
  (n) => Buffer.from([1, 2, 3, 4, 250]).subarray(0, n),
);
const first = newId('evt');
const second = newId('evt');

test('an id is its time, a per-millisecond sequence and a random tail, in base32 that sorts', () => {
  assert.equal(first, 'evt_01kbs35ckv00000410617t');
  assert.equal(second, 'evt_01kbs35ckv00010410617t');
  assert.ok(first < second);
  assert.equal(idTime(first), MS);
});

test('time bounds sort around every id made at that time', () => {
  assert.equal(idFloor('evt', MS), 'evt_01kbs35ckv');
  assert.equal(idBefore('evt', MS), 'evt_01kbs35cktzzzzzzzzzzzz');
  assert.equal(idBefore('evt', 0), 'evt_0000000000zzzzzzzzzzzz');
  assert.ok(idBefore('evt', MS) < idFloor('evt', MS) && idFloor('evt', MS) < first);
  assert.ok(idBefore('evt', MS + 1) > first);
});

test('delivery and run ids derived from an event id keep the event time and are stable', () => {
  assert.equal(eventDeliveryId('ep_1', first), 'dlv_01kbs35ckv00000410617tdmevp37r');
  assert.equal(triggeredRunId('wf', first), 'run_01kbs35ckvqp230p50z6ba');
  assert.equal(idTime(triggeredRunId('wf', first)), MS);
});

test('idTime reads back the time of ids made at any millisecond, and the same of what is not an id as before', () => {
  for (const ms of [0, 1, 31, 32, 1_765_000_000_123, 2 ** 40 - 1, 32 ** 10 - 1]) {
    const id = createIdFactory(() => ms)('evt');
    assert.equal(idTime(id), ms, id);
  }
  // Characters outside the alphabet count as -1, as the digit lookup always did; short ids read what they have.
  assert.equal(idTime('evt_0000000001'), 1);
  assert.equal(idTime('evt_01'), 1);
  assert.equal(idTime('evt_0000000011zz'), 33);
  assert.equal(idTime('evt_000000000U'), -1);
  assert.equal(idTime('evt_000000000é'), -1);
});
