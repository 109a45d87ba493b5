import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Subsystem } from '../../server/subsystem.ts';
import { defaultSubsystems } from '../../server/subsystems.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';

// Issue 14, item 1 (audit): a response written after its end emits an `error` event; unheard, it ends
// the relay's process (this test process, here).

let lateWrites = 0;
function lateWriter(): Subsystem {
  return {
    name: 'late-writer',
    routes({ root }) {
      root.get('/test/write-after-end', (_req, res) => {
        // What a live stream ended by its keepalive and fanned out to before its socket closed would do.
        res.end('done');
        res.write('more');
        lateWrites++;
      });
    },
  };
}

describe('a response stream that fails after its handler', () => {
  let relay: TestRelay;
  before(async () => {
    relay = await startRelay({ subsystems: [...defaultSubsystems, lateWriter] });
  });
  after(() => relay.stop());

  it('ends that request only; the relay keeps answering', async () => {
    const res = await fetch(`${relay.url}/test/write-after-end`);
    assert.equal(await res.text(), 'done');
    await waitFor('the late write', () => lateWrites === 1);
    // The write's error is emitted on a later tick: these requests take several.
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${relay.url}/healthz`)).status, 200);
  });
});
