import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { ADMIN_TOKEN, type TestRelay } from '../helpers/relay.ts';
import { spawnCli } from '../helpers/cli.ts';
import { waitFor } from '../helpers/wait.ts';
import { sendWebhook, startLiveRelay, trackStreams } from './live-helpers.ts';

/** `hookrelay tail` in a child process; collects its stdout lines. */
function tail(t: TestContext, args: string[], env: Record<string, string> = {}) {
  const cli = spawnCli(['tail', ...args], env);
  t.after(() => cli.stop());
  return cli;
}

describe('hookrelay tail', () => {
  const relays: TestRelay[] = [];
  after(() => Promise.all(relays.map((r) => r.stop())));

  it('prints one line per event and resumes by cursor after the connection drops', async (t) => {
    const relay = await startLiveRelay();
    relays.push(relay);
    const streams = trackStreams(relay);
    const first = await sendWebhook(relay, 'a', { type: 'before' });
    const cli = tail(t, ['--url', relay.url, '--source', 'a', '--after', first], { HOOKRELAY_ADMIN_TOKEN: ADMIN_TOKEN });
    const ids = [await sendWebhook(relay, 'a', { type: 'invoice.paid' }), await sendWebhook(relay, 'b', { type: 'other' })];
    ids.push(await sendWebhook(relay, 'a', { type: 'invoice.failed' }));
    await waitFor('two lines', () => cli.lines.length >= 2);
    await waitFor('the stream', () => streams.length >= 1);
    for (const socket of streams.splice(0)) socket.destroy();
    ids.push(await sendWebhook(relay, 'a', { type: 'after.drop' }));
    await waitFor('the stream again', () => streams.length >= 1);
    await waitFor('three lines', () => cli.lines.length >= 3);
    const fields = cli.lines.map((l) => l.split(/\s+/));
    assert.deepEqual(
      fields.map((f) => [f[1], f[2], f[3]]),
      [
        ['a', 'invoice.paid', ids[0]],
        ['a', 'invoice.failed', ids[2]],
        ['a', 'after.drop', ids[3]],
      ],
    );
    assert.ok(!Number.isNaN(Date.parse(fields[0][0])), `a timestamp first: ${cli.lines[0]}`);
  });

  it("prints raw event JSON with --json, with the token from the data dir's admin-token file", async (t) => {
    const relay = await startLiveRelay();
    relays.push(relay);
    const streams = trackStreams(relay);
    const dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-tail-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    await writeFile(join(dataDir, 'admin-token'), `${ADMIN_TOKEN}\n`, { mode: 0o600 });
    const cli = tail(t, ['--url', relay.url, '--json', '--data-dir', dataDir, '--type', 'order.*']);
    await waitFor('the stream', () => streams.length >= 1);
    await sendWebhook(relay, 'b', { type: 'customer.created' });
    const id = await sendWebhook(relay, 'b', { type: 'order.created', total: 12 });
    await waitFor('a line', () => cli.lines.length >= 1);
    const event = JSON.parse(cli.lines[0]);
    assert.equal(event.id, id);
    assert.deepEqual(event.payload, { type: 'order.created', total: 12 });
  });

  it('exits with an error when the token is refused', async (t) => {
    const relay = await startLiveRelay();
    relays.push(relay);
    const cli = tail(t, ['--url', relay.url, '--token', 'wrong']);
    assert.equal(await cli.exited, 1);
    assert.match(cli.errors.join('\n'), /401 .*unauthorized/);
  });

  it('names the address it cannot reach, and keeps trying', async (t) => {
    // A port that was just free: nothing listens there.
    const relay = await startLiveRelay();
    const url = relay.url;
    await relay.stop();
    const cli = tail(t, ['--url', url, '--token', ADMIN_TOKEN]);
    await waitFor('the reason on stderr', () => cli.errors.length > 0);
    assert.match(cli.errors[0], new RegExp(`cannot reach ${url.replace(/[.]/g, '\\.')} \\(ECONNREFUSED\\); reconnecting`));
    assert.equal(cli.child.exitCode, null, 'still running, to reconnect');
  });
});
