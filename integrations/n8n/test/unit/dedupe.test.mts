import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dedupe, type SeenEvent } from './dist.mts';

const at = (eventId: string, deliveryId: string, attempt: number, now = 1_000) => ({ eventId, deliveryId, attempt, now });

describe('repeats of an event dropped by the trigger', () => {
  it('acknowledged on receipt: any second arrival of an event id is a repeat, whichever delivery brings it', () => {
    const seen: SeenEvent[] = [];
    assert.equal(dedupe.isRepeat(seen, at('evt_1', 'dlv_1', 1), 'receipt'), false);
    assert.equal(dedupe.isRepeat(seen, at('evt_1', 'dlv_1', 2), 'receipt'), true);
    assert.equal(dedupe.isRepeat(seen, at('evt_1', 'dlv_replay', 1), 'receipt'), true);
    assert.equal(dedupe.isRepeat(seen, at('evt_2', 'dlv_2', 1), 'receipt'), false);
  });

  it('acknowledged on success: a later attempt of the same delivery runs again, a replay does not', () => {
    const seen: SeenEvent[] = [];
    assert.equal(dedupe.isRepeat(seen, at('evt_1', 'dlv_1', 1), 'success'), false);
    assert.equal(dedupe.isRepeat(seen, at('evt_1', 'dlv_1', 2), 'success'), false);
    assert.equal(dedupe.isRepeat(seen, at('evt_1', 'dlv_1', 2), 'success'), true, 'the same attempt twice');
    assert.equal(dedupe.isRepeat(seen, at('evt_1', 'dlv_replay', 1), 'success'), true);
  });

  it('forgets event ids past the window or beyond the count', () => {
    const seen: SeenEvent[] = [];
    dedupe.isRepeat(seen, at('evt_old', 'dlv_old', 1, 0), 'receipt');
    assert.equal(dedupe.isRepeat(seen, at('evt_old', 'dlv_x', 1, dedupe.DEDUPE_WINDOW_MS + 1), 'receipt'), false);
    for (let i = 0; i <= dedupe.DEDUPE_MAX_EVENTS; i++) dedupe.isRepeat(seen, at(`evt_${i}`, `dlv_${i}`, 1, 2_000), 'receipt');
    assert.ok(seen.length <= dedupe.DEDUPE_MAX_EVENTS);
    assert.equal(dedupe.isRepeat(seen, at('evt_0', 'dlv_again', 1, 2_000), 'receipt'), false, 'the oldest was dropped');
  });
});
