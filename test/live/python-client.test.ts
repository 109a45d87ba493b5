import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ADMIN_TOKEN, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { sendWebhook, startLiveRelay } from './live-helpers.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/socketio-client.py', import.meta.url));

/** A Python 3 that can import python-socketio with its websocket transport, if this machine has one. */
function pythonWithSocketio(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', 'import socketio, websocket'], { stdio: 'ignore' });
      return python;
    } catch {}
  }
  return null;
}

const python = pythonWithSocketio();
const skip = python
  ? false
  : 'no Python 3 with python-socketio and websocket-client (apt install python3-socketio python3-websocket)';

function runClient(t: TestContext, relay: TestRelay, script: string, args: string[]) {
  const child = spawn(python as string, ['-c', script, ...args], {
    env: { ...process.env, HOOKRELAY_URL: relay.url, HOOKRELAY_ADMIN_TOKEN: ADMIN_TOKEN, PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const errors: string[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
  createInterface({ input: child.stderr }).on('line', (l) => errors.push(l));
  t.after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
  return { lines, errors };
}

describe("docs/live.md's python-socketio client (examples/socketio-client.py)", { skip }, () => {
  let relay: TestRelay;
  let example: string;
  before(async () => {
    relay = await startLiveRelay();
    example = await readFile(EXAMPLE, 'utf8');
  });
  after(() => relay?.stop());

  it('receives live events with a handler that accepts the recovery offset argument', async (t) => {
    const client = runClient(t, relay, example, ['a']);
    await waitFor('the subscription', () => client.errors.some((l) => l.startsWith('subscribed')), 20_000);
    const skipped = await sendWebhook(relay, 'b', { type: 'other.source' });
    const id = await sendWebhook(relay, 'a', { type: 'order.created' });
    await waitFor('the event line', () => client.lines.some((l) => l.endsWith(id)), 20_000);
    assert.deepEqual(
      client.lines.map((l) => l.split(' ').slice(1)),
      [['a', 'order.created', id]],
    );
    assert.ok(!client.lines.some((l) => l.endsWith(skipped)));
  });

  it('shows why: a one-argument handler fails on the same events', async (t) => {
    const oneArgument = example.replace('def on_event(event, *_offset):', 'def on_event(event):');
    assert.notEqual(oneArgument, example);
    const client = runClient(t, relay, oneArgument, ['a']);
    await waitFor('the subscription', () => client.errors.some((l) => l.startsWith('subscribed')), 20_000);
    await sendWebhook(relay, 'a', { type: 'order.created' });
    await waitFor(
      'the TypeError',
      () => client.errors.some((l) => /takes 1 positional argument but 2 were given/.test(l)),
      20_000,
    );
    assert.deepEqual(client.lines, []);
  });
});
