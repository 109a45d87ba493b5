import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { startReceiver } from './helpers.ts';
import { workflowDir } from './workflow-dir.ts';

// Every start replays the events stored from a little before the saved trigger cursor, and makes the
// run of any it finds no run for. Pruning finished runs must not make it find none for events whose
// runs already ran.

describe('pruning finished runs and the replay at start-up', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('does not run a finished run again after restarts, however few runs keepRuns keeps', async () => {
    const receiver = await startReceiver();
    try {
      const dir = await workflowDir({
        'post.yaml': `name: post
on: { source: manual, type: tick }
steps:
  - id: call
    uses: http.request
    with: { method: POST, url: "${receiver.url}/tick", json: { n: "{{ event.payload.n }}" } }
`,
      });
      const dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-prune-replay-'));
      dirs.push(dir, dataDir);
      const options = { dataDir, sections: { workflows: { dir, watch: false, keepRuns: 10 } } };

      const first = await startRelay(options);
      for (let n = 0; n < 30; n++) await first.relay.ctx.eventService.emit({ source: 'manual', type: 'tick', payload: { n } });
      await waitFor('thirty calls', () => receiver.received.length === 30);
      await first.stop();
      // Each start replays from just before the saved cursor, then prunes; stop waits for every run.
      await (await startRelay(options)).stop();
      await (await startRelay(options)).stop();

      const calls = receiver.received.map((r) => (r.json as { n: number }).n).sort((a, b) => a - b);
      assert.deepEqual(
        calls,
        Array.from({ length: 30 }, (_, n) => n),
        'a finished run ran again',
      );
    } finally {
      await receiver.close();
    }
  });
});
