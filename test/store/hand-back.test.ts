import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HandBack } from '../../server/store/hand-back.ts';

/** Busy-waits: a caller whose work is expensive enough to be sliced. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {}
}

describe('HandBack', () => {
  it('resolves every group in the order it was pushed, and drained() waits for the last', async () => {
    const handBack = new HandBack();
    const seen: number[] = [];
    const group = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => () => {
        seen.push(from + i);
      });
    handBack.push(group(0, 10));
    handBack.push(group(10, 30));
    await handBack.drained();
    assert.deepEqual(
      seen,
      Array.from({ length: 30 }, (_, i) => i),
    );
  });

  it('hands an expensive group back over several turns, with other work in between', async () => {
    const handBack = new HandBack();
    // The first slice measures what a resolution costs; a group after it is sliced.
    handBack.push([() => spin(5)]);
    await handBack.drained();
    const order: string[] = [];
    handBack.push(
      Array.from({ length: 8 }, (_, i) => () => {
        spin(5);
        order.push(`settled ${i}`);
      }),
    );
    // Queued behind the first slice: runs before the whole group is handed back only if it is sliced.
    setImmediate(() => order.push('other work'));
    await handBack.drained();
    assert.equal(order.length, 9);
    assert.deepEqual(
      order.filter((entry) => entry !== 'other work'),
      Array.from({ length: 8 }, (_, i) => `settled ${i}`),
    );
    const between = order.indexOf('other work');
    assert.ok(between > 0 && between < 8, `other work ran at ${between}: ${order.join(', ')}`);
  });
});
