import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compileWorkflow } from '../../server/workflows/compile.ts';
import { runCli } from '../helpers/cli.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api } from './helpers.ts';
import { workflowDir } from './workflow-dir.ts';

// Issue 14, items 3 and 4: one workflow file (too big, an alias bomb) must not keep the others from
// loading or take the relay down, and is reported with its position.

const GOOD = `name: good
on: { source: app }
steps:
  - id: shape
    uses: transform
    with: { value: "{{ 'got ' & event.payload.name }}" }
`;

/** Nine levels of nine aliases each: 9^9 (387 million) strings if expanded. */
function aliasBomb(): string {
  const lines = ['name: bomb', 'steps:', '  - id: a', '    uses: transform', '    with:', '      value:'];
  lines.push('        l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]');
  for (let level = 1; level <= 8; level++) {
    const aliases = Array(9)
      .fill(`*l${level - 1}`)
      .join(', ');
    lines.push(`        l${level}: &l${level} [${aliases}]`);
  }
  return `${lines.join('\n')}\n`;
}
// yaml counts an alias as worth what its anchor holds: l2's aliases reach 10 × 10 = 100, so the first
// alias on l3's line (line 10, column 18) is the one past the limit.
const BOMB_POSITION = /^bomb\.yaml:10:18: too many alias expansions: at most 100 per document/;

type WorkflowView = { name: string | null; file: string; valid: boolean; errors: string[] };

describe('one bad workflow file does not affect the others', () => {
  let dir: string;
  let relay: TestRelay;
  before(async () => {
    dir = await workflowDir({
      'a-bomb.yaml': aliasBomb().replace('name: bomb', 'name: bomb-a'),
      'b-too-big.yaml': `${GOOD.replace('name: good', 'name: big')}# ${'x'.repeat(8192)}\n`,
      'c-good.yaml': GOOD,
    });
    relay = await startRelay({
      sources: [{ name: 'app', insecure: true, verify: { scheme: 'none' } }],
      sections: { workflows: { dir, maxFileBytes: 4096 } },
    });
  });
  after(async () => {
    await relay.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const list = async () => (await api<{ data: WorkflowView[] }>(relay.url, '/v1/workflows', { auth: relay.auth })).body.data;

  it('reports the alias bomb at the alias that crossed the limit, and loads the file after it', async () => {
    const views = await list();
    const bomb = views.find((w) => w.file === 'a-bomb.yaml');
    assert.equal(bomb?.valid, false);
    assert.match(bomb?.errors[0] ?? '', /^a-bomb\.yaml:10:18: too many alias expansions: at most 100 per document/);
    assert.equal(views.find((w) => w.file === 'c-good.yaml')?.name, 'good');
  });

  it('reports a file over workflows.maxFileBytes by name and size without reading it', async () => {
    const big = (await list()).find((w) => w.file === 'b-too-big.yaml');
    assert.equal(big?.valid, false);
    assert.equal(big?.name, null);
    assert.match(big?.errors[0] ?? '', /^b-too-big\.yaml:1:1: the file is \d+ bytes, more than workflows\.maxFileBytes \(4096\)/);
  });

  it('runs the good workflow on an event while the bad files sit next to it', async () => {
    const res = await fetch(`${relay.url}/hooks/app`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ada' }),
    });
    assert.equal(res.status, 200);
    const run = await waitFor('the good workflow to succeed', async () => {
      const runs = await api<{ data: Array<{ id: string; status: string }> }>(relay.url, '/v1/workflows/good/runs', {
        auth: relay.auth,
      });
      return runs.body.data.find((r) => r.status === 'succeeded');
    });
    const detail = await api<{ steps: Array<{ output: unknown }> }>(relay.url, `/v1/runs/${run.id}`, { auth: relay.auth });
    assert.equal(detail.body.steps[0].output, 'got ada');
  });

  it('keeps a file that grew past the limit out, and serves its last good version', async () => {
    await writeFile(join(dir, 'd-grows.yaml'), GOOD.replace('name: good', 'name: grows'));
    await api(relay.url, '/v1/workflows/reload', { method: 'POST', auth: relay.auth });
    assert.equal((await list()).find((w) => w.file === 'd-grows.yaml')?.valid, true);
    await writeFile(join(dir, 'd-grows.yaml'), `${GOOD.replace('name: good', 'name: grows')}# ${'y'.repeat(5000)}\n`);
    await api(relay.url, '/v1/workflows/reload', { method: 'POST', auth: relay.auth });
    const grown = (await list()).find((w) => w.file === 'd-grows.yaml');
    assert.deepEqual([grown?.valid, grown?.name], [false, 'grows']);
  });
});

describe('a large workflow file', () => {
  let dir: string;
  let relay: TestRelay;
  before(async () => {
    dir = await workflowDir({ 'small.yaml': GOOD });
    relay = await startRelay({ sections: { workflows: { dir, watch: false } } });
  });
  after(async () => {
    await relay.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('is checked off the event loop: /healthz answers before its reload does, and the workflow works', async () => {
    const values = Array.from({ length: 1500 }, (_, i) => `        k${i}: "{{ $count(event.payload.items) + ${i} }}"`);
    const text = `name: large\nsteps:\n  - id: shape\n    uses: transform\n    with:\n      value:\n${values.join('\n')}\n`;
    assert.ok(text.length < 1_048_576);
    await writeFile(join(dir, 'large.yaml'), text);
    const order: string[] = [];
    const reload = api(relay.url, '/v1/workflows/reload', { method: 'POST', auth: relay.auth }).then(() => order.push('reload'));
    const health = fetch(`${relay.url}/healthz`).then((res) => order.push(`healthz ${res.status}`));
    await Promise.all([reload, health]);
    assert.deepEqual(order, ['healthz 200', 'reload']);
    const run = await api<{ id: string }>(relay.url, '/v1/workflows/large/runs', {
      method: 'POST',
      auth: relay.auth,
      body: { event: { type: 't', payload: { items: [1, 2] } } },
    });
    assert.equal(run.status, 201);
    const done = await waitFor('the large workflow to finish', async () => {
      const detail = await api<{ status: string; steps: Array<{ output: Record<string, number> }> }>(
        relay.url,
        `/v1/runs/${run.body.id}`,
        {
          auth: relay.auth,
        },
      );
      return detail.body.status === 'succeeded' ? detail.body : undefined;
    });
    assert.equal(done.steps[0].output.k1499, 1501);
  });
});

describe('hookrelay validate on an alias bomb', () => {
  let dir: string;
  before(async () => {
    dir = await workflowDir({ 'bomb.yaml': aliasBomb(), 'good.yaml': GOOD });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('prints file:line:col for the bomb, ok for the good file next to it, and exits 1', async () => {
    const { code, stdout } = await runCli(['validate', 'bomb.yaml', 'good.yaml'], { cwd: dir });
    assert.equal(code, 1);
    const [bomb, good] = stdout.trim().split('\n');
    assert.match(bomb, BOMB_POSITION);
    assert.equal(good, 'good.yaml: ok');
  });

  it('prints the position of an alias bomb in a config file too', async () => {
    const config = join(dir, 'hookrelay-bomb.yaml');
    const tens = (alias: string) => `[${Array(10).fill(alias).join(', ')}]`;
    await writeFile(config, `port: 8080\na: &a ${tens('x')}\nb: &b ${tens('*a')}\nc: &c ${tens('*b')}\n`);
    const { code, stdout } = await runCli(['validate', config], { cwd: dir });
    assert.equal(code, 1);
    assert.match(stdout, /hookrelay-bomb\.yaml:4:\d+: too many alias expansions/);
  });
});

describe('repeated keys in a workflow file', () => {
  it('are each reported at their line, in a mapping of thousands of keys', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `        k${i}: ${i}`);
    keys.splice(4000, 0, '        k17: again');
    const text = `name: many\nsteps:\n  - id: a\n    uses: transform\n    with:\n      value:\n${keys.join('\n')}\n    uses: filter\n`;
    const { problems } = compileWorkflow('many.yaml', text, { plugins: () => undefined, env: null });
    assert.deepEqual(
      problems.map((p) => [p.line, p.col, p.message]),
      [
        [4007, 9, 'Map keys must be unique'],
        [5008, 5, 'Map keys must be unique'],
      ],
    );
  });
});

describe('deeply nested flow collections in a workflow file', () => {
  const nested = (levels: number) => `${'{"a": '.repeat(levels)}1${'}'.repeat(levels)}`;
  const file = (levels: number) => `name: deep\nsteps:\n  - id: a\n    uses: transform\n    with: { value: ${nested(levels)} }\n`;

  it('are refused past 100 levels (the `with` mapping counts) at the bracket that went too deep, without being parsed', () => {
    const { workflow, problems } = compileWorkflow('deep.yaml', file(99), { plugins: () => undefined, env: null });
    assert.equal(workflow, null);
    assert.deepEqual(
      problems.map((p) => p.message),
      ['unknown step type "transform"'],
    );
    const deep = compileWorkflow('deep.yaml', file(20_000), { plugins: () => undefined, env: null });
    assert.deepEqual(deep.problems, [
      { line: 5, col: 20 + 6 * 99, message: 'flow collections ([ ], { }) nested more than 100 levels deep' },
    ]);
  });
});
