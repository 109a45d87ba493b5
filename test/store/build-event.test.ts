import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isoTime } from '../../server/store/build-event.ts';

test('isoTime writes every millisecond as toISOString does, in any order of calls', () => {
  const edges = [0, 999, 1000, 1_765_000_000_000, 1_765_000_000_999, 1_765_000_001_000, 951_782_400_000, 253_402_300_799_999];
  for (const ms of [...edges, ...edges.reverse()]) assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
  // Many calls in one second then a jump back: the cached second must not leak into another one.
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 253_402_300_799_999 }), { minLength: 1, maxLength: 20 }), (list) => {
      for (const ms of list) {
        assert.equal(isoTime(ms), new Date(ms).toISOString());
        assert.equal(isoTime(ms + 1), new Date(ms + 1).toISOString());
      }
    }),
  );
});

test('isoTime hands what it does not cache to toISOString', () => {
  for (const ms of [-1, 253_402_300_800_000, 1.5]) assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
});
