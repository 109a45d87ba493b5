import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readSecrets, redactor } from '../../server/workflows/secrets.ts';
import { type ChildRelay, spawnRelay } from '../helpers/child-relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api, startReceiver } from './helpers.ts';

const TOKEN = 'tok-Sup3r"secret/value';
const AUTH = { authorization: 'Bearer test-admin-token' };

const WORKFLOW = `
name: uses-secret
steps:
  - id: call
    uses: http.request
    with:
      method: POST
      url: "{{ env.SERVICE_URL }}/echo"
      headers: { authorization: "Bearer {{ secrets.API_TOKEN }}" }
      json: { note: "token is {{ secrets.API_TOKEN }} here" }
  - id: each
    uses: transform
    foreach: "{{ [1, 2] }}"
    with: { value: "{{ item & ':' & secrets.API_TOKEN }}" }
  - id: said
    uses: log
    with: { message: "calling with {{ secrets.API_TOKEN }}", data: { raw: "{{ secrets.API_TOKEN }}" } }
  - id: told
    uses: emit
    with: { type: secret.used, payload: { token: "{{ secrets.API_TOKEN }}" } }
  - id: kept
    uses: state.put
    with: { namespace: tokens, key: last, value: "{{ 'used ' & secrets.API_TOKEN }}" }
  - id: leak
    uses: http.request
    retry: { attempts: 2, backoff: fixed, delay: 10ms }
    with: { url: "{{ env.SERVICE_URL }}/fail?key={{ $encodeUrlComponent(secrets.API_TOKEN) }}" }
`;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

describe('workflows.secrets: read as secrets.NAME, never shown', () => {
  let dataDir = '';
  let relay: ChildRelay | undefined;
  let service: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    // The service echoes what it was sent: the secret comes back inside larger strings.
    service = await startReceiver((req) =>
      req.url.startsWith('/fail')
        ? { status: 500, body: { seen: req.url } }
        : { body: { auth: req.headers.authorization, sent: req.json } },
    );
    dataDir = await mkdtemp(join(tmpdir(), 'hookrelay-wf-secrets-'));
    await mkdir(join(dataDir, 'workflows'));
    await writeFile(join(dataDir, 'workflows', 'uses-secret.yaml'), WORKFLOW);
    relay = await spawnRelay({
      dataDir,
      configYaml: 'workflows:\n  dir: ./workflows\n  env: [SERVICE_URL]\n  secrets: [API_TOKEN]\n',
      env: { SERVICE_URL: service.url, API_TOKEN: TOKEN },
    });
  });
  after(async () => {
    if (relay?.child.exitCode === null) {
      relay.child.kill('SIGKILL');
      await relay.exited;
    }
    await service.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('sends the value out, and shows a marker in runs, outputs, errors, items, events, logs and files', async () => {
    const url = relay?.url ?? '';
    const started = await api<{ id: string }>(url, '/v1/workflows/uses-secret/runs', {
      method: 'POST',
      auth: AUTH,
      body: { event: {} },
    });
    const run = await waitFor('the run to fail at leak', async () => {
      const r = await api<{ status: string }>(url, `/v1/runs/${started.body.id}`, { auth: AUTH });
      return r.body.status === 'failed' ? r.body : null;
    });
    // The service got the real value.
    assert.equal(service.received[0].headers.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual(service.received[0].json, { note: `token is ${TOKEN} here` });

    const text = JSON.stringify(run);
    assert.ok(!text.includes('Sup3r'), `the run shows the secret: ${text}`);
    const shown = run as unknown as { error: { message: string }; steps: Array<{ id: string; output: unknown }> };
    const call = shown.steps.find((s) => s.id === 'call')?.output as { body: { auth: string; sent: { note: string } } };
    assert.equal(call.body.auth, 'Bearer [secret:API_TOKEN]');
    assert.equal(call.body.sent.note, 'token is [secret:API_TOKEN] here');
    // The step's input as evaluated is kept for the run view, redacted the same way.
    const given = shown.steps.find((s) => s.id === 'call') as unknown as { input: { headers: { authorization: string } } };
    assert.equal(given.input.headers.authorization, 'Bearer [secret:API_TOKEN]');
    assert.deepEqual(shown.steps.find((s) => s.id === 'each')?.output, ['1:[secret:API_TOKEN]', '2:[secret:API_TOKEN]']);
    assert.match(shown.error.message, /\/fail\?key=\[secret:API_TOKEN\] answered 500/);
    assert.deepEqual(((shown.steps.find((s) => s.id === 'kept')?.output ?? {}) as { entries?: unknown }).entries, {
      last: 'used [secret:API_TOKEN]',
    });

    const events = await api<{ data: Array<{ type: string; payload: unknown }> }>(url, '/v1/events?limit=10', { auth: AUTH });
    const emitted = events.body.data.find((e) => e.type === 'secret.used');
    assert.deepEqual(emitted?.payload, { token: '[secret:API_TOKEN]' });

    await waitFor('the log line of the log step', () => relay?.output().includes('calling with [secret:API_TOKEN]'));
    assert.ok(relay?.output().includes('step failed; retrying'));
    relay?.child.kill('SIGTERM');
    await relay?.exited;
    const output = relay?.output() ?? '';
    assert.ok(!output.includes('Sup3r'), 'a log line shows the secret');
    for (const file of await filesUnder(dataDir)) {
      if (file.endsWith('.yaml')) continue;
      assert.ok(!(await readFile(file, 'utf8')).includes('Sup3r'), `${file} holds the secret`);
    }
  });
});

describe('secret values', () => {
  it('are replaced as written, JSON-escaped and URL-encoded, in strings, keys and errors', () => {
    const redact = redactor({ A: 'a"b/c d!', B: 'plainvalue' });
    assert.deepEqual(redact({ x: 'pre a"b/c d! post', y: ['{"v":"a\\"b/c d!"}', 'q=a%22b%2Fc%20d!'], plainvalue: 1 }), {
      x: 'pre [secret:A] post',
      y: ['{"v":"[secret:A]"}', 'q=[secret:A]'],
      '[secret:B]': 1,
    });
    assert.equal(redact(new Error('with plainvalue')).message, 'with [secret:B]');
    assert.equal(redact(7), 7);
  });

  it('shorter than 6 characters stop the relay at start; unset ones are left out', () => {
    assert.throws(() => readSecrets(['S'], { S: 'abc' }), /workflows.secrets.*S is shorter than 6 characters/);
    assert.deepEqual(readSecrets(['S', 'T'], { S: 'abcdef' }), { S: 'abcdef' });
  });
});
