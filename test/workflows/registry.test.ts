import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api } from './helpers.ts';
import { workflowDir } from './workflow-dir.ts';

const BIN = fileURLToPath(new URL('../../bin/hookrelay.js', import.meta.url));

const GOOD = `name: hello
on: { source: app, type: "greeting.*" }
steps:
  - id: shape
    uses: transform
    with: { value: "{{ 'v1 ' & event.payload.name }}" }
`;

const BROKEN = `name: hello
on: { source: app, type: "greeting.*" }
steps:
  - id: shape
    uses: transform
    with: { value: "{{ 'v2 ' & }}" }
  - id: later
    uses: no.such.step
`;

type WorkflowView = {
  name: string | null;
  file: string;
  valid: boolean;
  serving_last_good: boolean;
  error: string | null;
  errors: string[];
};

describe('workflow files: validation with positions, last good version, reload', () => {
  let dir: string;
  let relay: TestRelay;
  before(async () => {
    dir = await workflowDir({ 'hello.yaml': GOOD });
    relay = await startRelay({ sections: { workflows: { dir } } });
  });
  after(async () => {
    await relay.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const list = async () => (await api<{ data: WorkflowView[] }>(relay.url, '/v1/workflows', { auth: relay.auth })).body.data;

  it('hookrelay validate prints file:line:col for each problem and exits 1', async () => {
    const file = join(dir, 'broken.yml.txt');
    await writeFile(file, BROKEN);
    const bad = join(dir, 'check-broken.yaml');
    await writeFile(bad, BROKEN);
    const run = promisify(execFile);
    const failed = await run(process.execPath, [BIN, 'validate', bad]).catch((e: { code: number; stdout: string }) => e);
    assert.equal((failed as { code: number }).code, 1);
    assert.deepEqual((failed as { stdout: string }).stdout.trim().split('\n'), [
      `${bad}:6:31: bad expression "'v2 ' &": Unexpected end of expression`,
      `${bad}:8:11: unknown step type "no.such.step"`,
    ]);
    const good = join(dir, 'check-good.yaml');
    await writeFile(good, GOOD.replace('hello', 'hello2'));
    const ok = await run(process.execPath, [BIN, 'validate', good]);
    assert.equal(ok.stdout.trim(), `${good}: ok`);
    await rm(bad);
    await rm(good);
    await rm(file);
  });

  it('reports a YAML syntax error at its line', async () => {
    await writeFile(join(dir, 'syntax.yaml'), 'name: x\nsteps:\n  - id: a\n    uses: transform\n    uses: filter\n');
    await api(relay.url, '/v1/workflows/reload', { method: 'POST', auth: relay.auth });
    const view = (await list()).find((w) => w.file === 'syntax.yaml');
    assert.equal(view?.valid, false);
    assert.match(view?.error ?? '', /^syntax\.yaml:5:5: Map keys must be unique/);
    await rm(join(dir, 'syntax.yaml'));
  });

  it('keeps serving the last good version of a file that became invalid, and shows why', async () => {
    await writeFile(join(dir, 'hello.yaml'), BROKEN);
    const expected = `hello.yaml:6:31: bad expression "'v2 ' &": Unexpected end of expression`;
    // writeFile truncates before it writes, so the watcher may first see a partial file; wait for
    // the state that the complete file produces.
    const view = await waitFor('the watcher to pick up the change', async () =>
      (await list()).find((w) => w.file === 'hello.yaml' && !w.valid && w.error === expected),
    );
    assert.equal(view.serving_last_good, true);
    assert.equal(view.name, 'hello');
    assert.equal(view.error, expected);
    const run = await api<{ id: string }>(relay.url, '/v1/workflows/hello/runs', {
      method: 'POST',
      body: { event: { type: 'greeting.new', payload: { name: 'ada' } } },
      auth: relay.auth,
    });
    const done = await waitFor('the run', async () => {
      const r = await api<{ status: string; steps: Array<{ output: unknown }> }>(relay.url, `/v1/runs/${run.body.id}`, {
        auth: relay.auth,
      });
      return r.body.status === 'succeeded' ? r.body : null;
    });
    assert.equal(done.steps[0].output, 'v1 ada');
  });

  it('loads the fixed file on reload', async () => {
    await writeFile(join(dir, 'hello.yaml'), GOOD.replace("'v1 '", "'v3 '"));
    await api(relay.url, '/v1/workflows/reload', { method: 'POST', auth: relay.auth });
    const view = (await list()).find((w) => w.file === 'hello.yaml');
    assert.equal(view?.valid, true);
    assert.equal(view?.error, null);
    const run = await api<{ id: string }>(relay.url, '/v1/workflows/hello/runs', {
      method: 'POST',
      body: { event: { payload: { name: 'bob' } } },
      auth: relay.auth,
    });
    const done = await waitFor('the run', async () => {
      const r = await api<{ status: string; steps: Array<{ output: unknown }> }>(relay.url, `/v1/runs/${run.body.id}`, {
        auth: relay.auth,
      });
      return r.body.status === 'succeeded' ? r.body : null;
    });
    assert.equal(done.steps[0].output, 'v3 bob');
  });

  it('refuses a second file that reuses a workflow name', async () => {
    await writeFile(join(dir, 'again.yaml'), GOOD);
    await api(relay.url, '/v1/workflows/reload', { method: 'POST', auth: relay.auth });
    const view = (await list()).find((w) => w.file === 'again.yaml');
    assert.equal(view?.valid, false);
    assert.equal(view?.error, 'again.yaml:1:1: workflow name "hello" is already used by hello.yaml');
    await rm(join(dir, 'again.yaml'));
  });
});
