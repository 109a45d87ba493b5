import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DELIVERY_DEFAULTS } from '../../server/delivery/config.ts';
import { parseRetryAfter, retryDelay } from '../../server/delivery/retry-policy.ts';

const plain = { status: 500, timedOut: false, retryAfterMs: null };

describe('retry delays', () => {
  it('follows 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h with at most 20% jitter', () => {
    const expected = [5, 300, 1800, 7200, 18_000, 36_000, 36_000].map((s) => s * 1000);
    expected.forEach((ms, i) => {
      assert.equal(
        retryDelay(DELIVERY_DEFAULTS, i + 1, plain, () => 0.5),
        ms,
      );
      assert.equal(
        retryDelay(DELIVERY_DEFAULTS, i + 1, plain, () => 0),
        Math.round(ms * 0.8),
      );
      assert.equal(
        retryDelay(DELIVERY_DEFAULTS, i + 1, plain, () => 1),
        Math.round(ms * 1.2),
      );
    });
  });

  it('clamps Retry-After between the scheduled delay and twice it', () => {
    const at = (retryAfterMs: number, status = 503, index = 3) =>
      retryDelay(DELIVERY_DEFAULTS, index, { status, timedOut: false, retryAfterMs }, () => 0.5);
    assert.equal(at(1000), 1_800_000, 'shorter than scheduled: the schedule wins');
    assert.equal(at(2_400_000), 2_400_000, 'within bounds: honoured');
    assert.equal(at(86_400_000), 3_600_000, 'a day: twice the schedule');
    assert.equal(at(86_400_000, 500), 1_800_000, 'ignored on other statuses');
    assert.equal(at(0, 429, 1), 60_000, 'at least 60 s after a 429');
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    assert.equal(parseRetryAfter('120', 0), 120_000);
    assert.equal(parseRetryAfter(new Date(90_000).toUTCString(), 30_000), 60_000);
    assert.equal(parseRetryAfter('soon', 0), null);
    assert.equal(parseRetryAfter(null, 0), null);
  });
});
