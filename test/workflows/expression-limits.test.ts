import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { ExpressionTimeout } from '../../server/workflows/expression-limits.ts';
import { compileJsonata } from '../../server/workflows/expressions.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api } from './helpers.ts';
import { workflowDir } from './workflow-dir.ts';

// Issue 14, item 2: one runaway JSONata expression once held the event loop until the heap ran out.

const FOREVER = '( $f := function($n){ $f($n+1) }; $f(0) )';
const TOO_DEEP = '( $f := function($n){ 1 + $f($n+1) }; $f(0) )';

describe('expression bounds', () => {
  it('stops an expression that runs too long with expression_timeout, giving the event loop turns meanwhile', async () => {
    const evaluate = compileJsonata(FOREVER, 0, { timeoutMs: 200, maxDepth: 1000 });
    let turns = 0;
    const ticker = setInterval(() => turns++, 1);
    try {
      await assert.rejects(evaluate({}), (e: ExpressionTimeout) => {
        assert.ok(e instanceof ExpressionTimeout);
        assert.equal(e.code, 'expression_timeout');
        assert.match(e.message, /longer than 200 ms \(workflows\.expressionTimeoutMs\)/);
        return true;
      });
    } finally {
      clearInterval(ticker);
    }
    assert.ok(turns > 0, 'timers ran while the expression was evaluated');
  });

  it('stops an expression that recurses too deep, before it takes the memory', async () => {
    const evaluate = compileJsonata(TOO_DEEP, 0, { timeoutMs: 60_000, maxDepth: 500 });
    await assert.rejects(evaluate({}), /nested deeper than 500 levels \(workflows\.expressionMaxDepth\)/);
  });

  it('leaves ordinary expressions alone, recursion included', async () => {
    const evaluate = compileJsonata('( $fact := function($n){ $n <= 1 ? 1 : $n * $fact($n - 1) }; $fact(20) )');
    assert.equal(await evaluate({}), 2432902008176640000);
  });
});

const RUNAWAY = `name: runaway
on: { source: app, type: runaway }
steps:
  - id: shape
    uses: transform
    with: { value: "{{ ${FOREVER} }}" }
`;
const DEEP_IF = `name: deep-if
on: { source: app, type: deep }
steps:
  - id: guarded
    uses: transform
    if: "{{ ${TOO_DEEP} }}"
    with: { value: 1 }
`;
const RUNAWAY_ON_IF = `name: runaway-on-if
on: { source: app, type: guarded, if: "${FOREVER}" }
steps:
  - id: never
    uses: transform
    with: { value: 1 }
`;
/** Sorts after on-if.yaml: the trigger reaches it for an event only once the condition before it ended. */
const AFTER_ON_IF = `name: after-on-if
on: { source: app, type: guarded }
steps:
  - id: shape
    uses: transform
    with: { value: 1 }
`;
const ECHO = `name: echo
on: { source: app }
steps:
  - id: shape
    uses: transform
    with: { value: "{{ event.type }}" }
`;

type Run = { id: string; status: string; finished_at: string | null; error?: { step: string; message: string; code?: string } };
type RunDetail = Run & { steps: Array<{ id: string; status: string; error?: string | null }> };

describe('a runaway expression in a workflow, on a relay', () => {
  let dir: string;
  let relay: TestRelay;
  before(async () => {
    dir = await workflowDir({
      'runaway.yaml': RUNAWAY,
      'deep-if.yaml': DEEP_IF,
      'on-if.yaml': RUNAWAY_ON_IF,
      'echo.yaml': ECHO,
      'z-after-on-if.yaml': AFTER_ON_IF,
    });
    relay = await startRelay({
      sources: [{ name: 'app', insecure: true, verify: { scheme: 'none' } }],
      sections: { workflows: { dir, expressionTimeoutMs: 2000, expressionMaxDepth: 500 } },
    });
  });
  after(async () => {
    await relay.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const ingest = (type: string) =>
    fetch(`${relay.url}/hooks/app`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type }),
    });
  const runsOf = async (workflow: string) =>
    (await api<{ data: Run[] }>(relay.url, `/v1/workflows/${workflow}/runs`, { auth: relay.auth })).body.data;
  const detail = async (id: string) => (await api<RunDetail>(relay.url, `/v1/runs/${id}`, { auth: relay.auth })).body;

  it('fails the step with expression_timeout, and the relay answers ingest and /healthz while it runs', async () => {
    assert.equal((await ingest('runaway')).status, 200);
    // Only a relay that answers during the evaluation can show the step running.
    const running = await waitFor('the runaway step to be seen running', async () => {
      const run = (await runsOf('runaway'))[0];
      return run?.status === 'running' ? run : undefined;
    });
    const ingested = await ingest('meanwhile');
    assert.equal(ingested.status, 200);
    assert.equal((await fetch(`${relay.url}/healthz`)).status, 200);
    const answeredAt = Date.now();
    const failed = await waitFor('the runaway run to fail', async () => {
      const run = await detail(running.id);
      return run.status === 'failed' ? run : undefined;
    });
    assert.ok(Date.parse(failed.finished_at ?? '') >= answeredAt - 5, 'the answers came before the expression was stopped');
    assert.deepEqual(failed.error, {
      step: 'shape',
      code: 'expression_timeout',
      message: 'with: expression_timeout: the expression ran longer than 2000 ms (workflows.expressionTimeoutMs)',
    });
    const echoed = await waitFor('the event that came meanwhile to run its workflow', async () =>
      (await runsOf('echo')).find((r) => r.status === 'succeeded'),
    );
    assert.ok(echoed);
  });

  it('bounds a step `if` the same way', async () => {
    assert.equal((await ingest('deep')).status, 200);
    const run = await waitFor('the deep-if run to fail', async () =>
      (await runsOf('deep-if')).find((r) => r.status === 'failed'),
    );
    const { error, steps } = await detail(run.id);
    assert.equal(error?.code, 'expression_timeout');
    assert.match(steps[0].error ?? '', /^if: expression_timeout: the expression nested deeper than 500 levels/);
  });

  it('bounds `on.if`: the runaway condition fails and starts no run, and the workflows after it still run', async () => {
    assert.equal((await ingest('guarded')).status, 200);
    // Workflows are triggered in file order for an event: this one only after the condition gave up.
    await waitFor('the workflow after the runaway condition to run', async () =>
      (await runsOf('after-on-if')).find((r) => r.status === 'succeeded'),
    );
    assert.deepEqual(await runsOf('runaway-on-if'), []);
  });
});
