import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signHeaders } from '../../server/ingest/signers.ts';
import { type ChildRelay, spawnRelay } from '../helpers/child-relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api, startReceiver } from './helpers.ts';

const SECRET = 'whsec_cmVzdGFydC1zZWNyZXQtZm9yLXRlc3Rz';
const AUTH = { authorization: 'Bearer test-admin-token' };

const WORKFLOW = `
name: durable
on: { source: in, type: go }
steps:
  - id: first
    uses: http.request
    with: { method: POST, url: "{{ env.RECEIVER_URL }}/first", json: { key: "{{ event.payload.key }}" } }
  - id: pause
    uses: delay
    with: { for: 2s }
  - id: gate
    uses: wait.event
    with:
      source: in
      type: release
      match: "awaited.payload.key = event.payload.key"
      timeout: 1h
  - id: last
    uses: http.request
    with: { method: POST, url: "{{ env.RECEIVER_URL }}/last", json: { released_by: "{{ steps.gate.output.id }}" } }
`;

type Run = { id: string; status: string; steps: Array<{ id: string; status: string; attempts: number }> };

describe('runs survive kill -9 of the relay mid-delay and mid-wait', () => {
  let dataDir: string;
  let relay: ChildRelay | null = null;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let configYaml: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-wf-restart-'));
    await mkdir(join(dataDir, 'workflows'));
    await writeFile(join(dataDir, 'workflows', 'durable.yaml'), WORKFLOW);
    receiver = await startReceiver();
    configYaml = [
      'sources:',
      '  - name: in',
      `    verify: { scheme: standard-webhooks, secrets: ["${SECRET}"] }`,
      'workflows:',
      '  dir: ./workflows',
      '  env: [RECEIVER_URL]',
    ].join('\n');
  });
  after(async () => {
    if (relay && relay.child.exitCode === null) {
      relay.child.kill('SIGKILL');
      await relay.exited;
    }
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = () => spawnRelay({ dataDir, configYaml, env: { RECEIVER_URL: receiver.url } });
  async function kill(): Promise<void> {
    relay?.child.kill('SIGKILL');
    await relay?.exited;
  }
  async function send(type: string, key: string): Promise<string> {
    const body = JSON.stringify({ type, key });
    const headers = {
      'content-type': 'application/json',
      ...signHeaders({ verify: { scheme: 'standard-webhooks' }, secret: SECRET, body }),
    };
    const res = await fetch(`${relay?.url}/hooks/in`, { method: 'POST', headers, body });
    assert.equal(res.status, 200);
    return ((await res.json()) as { id: string }).id;
  }
  async function runWhen(what: string, check: (run: Run) => boolean): Promise<Run> {
    return waitFor(what, async () => {
      const list = await api<{ data: Run[] }>(relay!.url, '/v1/workflows/durable/runs', { auth: AUTH });
      const run = list.body.data[0];
      return run && check(run) ? run : null;
    });
  }
  const step = (run: Run, id: string) => run.steps.find((s) => s.id === id);

  it('continues from the running step after each crash and never repeats a finished one', async () => {
    relay = await start();
    await send('go', 'k1');
    await runWhen('the delay to start', (run) => step(run, 'pause')?.status === 'waiting');
    await kill();

    relay = await start();
    const waiting = await runWhen('the wait after the resumed delay', (run) => step(run, 'gate')?.status === 'waiting');
    assert.equal(step(waiting, 'first')?.status, 'succeeded');
    assert.equal(step(waiting, 'pause')?.status, 'succeeded');
    await kill();

    relay = await start();
    await runWhen('the wait to be resumed', (run) => run.status === 'waiting' && step(run, 'gate')?.status === 'waiting');
    await send('release', 'other');
    const releaseId = await send('release', 'k1');
    const done = await runWhen('the run to succeed', (run) => run.status === 'succeeded');
    assert.equal(receiver.received.filter((r) => r.url === '/first').length, 1, 'a finished step ran again');
    const last = receiver.received.filter((r) => r.url === '/last');
    assert.equal(last.length, 1);
    assert.deepEqual(last[0].json, { released_by: releaseId });
    assert.equal(step(done, 'first')?.attempts, 1);
    await kill();
  });
});
