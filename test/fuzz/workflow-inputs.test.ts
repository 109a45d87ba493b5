import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { validateInput } from '../../server/batches/validate-input.ts';
import { compileWorkflow } from '../../server/workflows/compile.ts';
import { loadPlugins } from '../../server/workflows/plugin-registry.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { workflowDir } from '../workflows/workflow-dir.ts';
import { assertCodedOrOk, body, deepJson, runs, SEED } from './arbitraries.ts';

// Property-based: whatever a workflow author writes or a batch file holds, the relay reports problems
// with positions or does the work; no expression runs unbounded (issue 14). FUZZ_SEED reproduces.

const LIMITS = { timeoutMs: 20, maxDepth: 200 };

/** JSONata pieces, sane and not: paths, arithmetic, ranges, lambdas, recursion, broken syntax. */
const expression: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('event.payload.n', 'event.type', '$', 'steps', '"text"', '42', 'null', 'env.X', '$now()', '[1..1000]'),
    fc.constantFrom('( $f := function($n){ $f($n+1) }; $f(0) )', '( $g := function($n){ 1 + $g($n+1) }; $g(0) )'),
    fc.constantFrom('$count(', ')', '{{', '}}', '"', '[', '..', '$$$', '~>', 'function(', ':='),
    fc.tuple(tie('expr'), fc.constantFrom(' + ', ' & ', ' = ', ' and ', '.', ' ? 1 : '), tie('expr')).map((p) => p.join('')),
    tie('expr').map((e) => `$map([1..50], function($v){ ${e} })`),
    tie('expr').map((e) => `$string(${e})`),
  ),
})).expr;

const scalar = fc.oneof(
  expression.map((e) => `"{{ ${e.replaceAll('"', "'")} }}"`),
  fc.json({ maxDepth: 1 }),
  fc.constantFrom('*a', '&a x', '<<: *a', '[*a, *a]', '1s', '-1', '~', '|', '{', 'yes'),
);

/** A workflow file: mostly the right shape with odd values, sometimes YAML noise and aliases. */
const workflowText = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
        fc.array(fc.tuple(fc.constantFrom('transform', 'filter', 'delay', 'nope'), scalar, fc.option(scalar)), {
          minLength: 1,
          maxLength: 4,
        }),
      )
      .map(([name, steps]) =>
        [
          `name: ${name}`,
          'on: { source: app }',
          'steps:',
          ...steps.flatMap(([uses, value, condition], i) => [
            `  - id: s${i}`,
            `    uses: ${uses}`,
            `    with: { value: ${value}, if: ${value}, for: ${value} }`,
            ...(condition === null ? [] : [`    if: ${condition}`]),
          ]),
        ].join('\n'),
      ),
  },
  {
    weight: 3,
    arbitrary: fc.string({
      unit: fc.constantFrom('a', ':', ' ', '\n', '-', '&a ', '*a', '[', ']', '{', '}', '"', "'", '#', '|', '\t'),
      maxLength: 400,
    }),
  },
  // Deep flow nesting: the YAML parser reports it (slowly, so rarely here).
  { weight: 1, arbitrary: deepJson },
);

describe(`fuzzing workflow files, expressions and batch input (seed ${SEED})`, () => {
  let plugins: Awaited<ReturnType<typeof loadPlugins>>;
  let dir: string;
  let relay: TestRelay;
  let rssBefore: number;
  before(async () => {
    console.log(`fuzz seed ${SEED} (set FUZZ_SEED to reproduce, FUZZ_RUNS to scale)`);
    rssBefore = process.memoryUsage().rss;
    plugins = await loadPlugins({ specs: [], baseDir: process.cwd() });
    dir = await workflowDir({});
    relay = await startRelay({
      driver: 'memory',
      sections: { workflows: { dir, watch: false, expressionTimeoutMs: LIMITS.timeoutMs, expressionMaxDepth: LIMITS.maxDepth } },
    });
  });
  after(async () => {
    const grownMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    console.log(`fuzz: RSS grew by ${grownMiB.toFixed(1)} MiB`);
    await relay.stop();
    await rm(dir, { recursive: true, force: true });
    assert.ok(grownMiB < 256, `RSS grew by ${grownMiB.toFixed(1)} MiB`);
  });

  it('compiles every workflow file into a workflow or problems with positions, and every evaluation ends', async () => {
    await fc.assert(
      fc.asyncProperty(workflowText, fc.jsonValue({ maxDepth: 3 }), async (text, payload) => {
        const { workflow, problems } = compileWorkflow('fuzz.yaml', text, {
          plugins: (name) => plugins.get(name),
          env: [],
          expressions: LIMITS,
        });
        for (const p of problems) assert.ok(p.line >= 1 && p.col >= 1 && p.message.length > 0, JSON.stringify(p));
        assert.equal(workflow === null, problems.length > 0);
        const context = { event: { type: 'x', payload }, steps: {}, env: {} };
        for (const step of workflow?.steps ?? []) {
          // Resolves, or fails with an Error (a JSONata error or expression_timeout): never hangs past its bounds.
          for (const evaluate of [step.params, ...(step.condition ? [step.condition] : [])]) {
            await evaluate(context).catch((error: unknown) => assert.ok(error instanceof Error || typeof error === 'object'));
          }
        }
      }),
      runs(200),
    );
  });

  it('loads folders of such files over HTTP, and manual runs of what loaded answer 201 or a coded 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(workflowText, { minLength: 1, maxLength: 3 }), body, async (texts, payload) => {
        await Promise.all(texts.map((text, i) => writeFile(join(dir, `f${i}.yaml`), text)));
        const reload = await fetch(`${relay.url}/v1/workflows/reload`, { method: 'POST', headers: relay.auth });
        assert.equal(reload.status, 200);
        const { data } = (await reload.json()) as { data: Array<{ name: string | null }> };
        for (const name of data.flatMap((w) => (w.name ? [w.name] : []))) {
          const res = await fetch(`${relay.url}/v1/workflows/${encodeURIComponent(name)}/runs`, {
            method: 'POST',
            headers: { ...relay.auth, 'content-type': 'application/json' },
            body: `{"event":{"type":"fuzz","payload":${JSON.stringify(String(payload))}}}`,
          });
          await assertCodedOrOk(res, `manual run of ${name}`);
        }
        await Promise.all(texts.map((_, i) => rm(join(dir, `f${i}.yaml`), { force: true })));
      }),
      runs(25),
    );
    assert.equal((await fetch(`${relay.url}/healthz`)).status, 200);
  });

  it('checks every JSONL batch file line by line, with codes and line numbers', () => {
    const line = fc.oneof(
      fc.json({ maxDepth: 4 }),
      deepJson,
      fc
        .record({ custom_id: fc.string(), method: fc.constantFrom('POST', 'GET'), url: fc.constantFrom('/v1/responses', '/x') })
        .map((r) => JSON.stringify({ ...r, body: { model: 'm' } })),
      fc.string({ maxLength: 80 }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.integer({ min: 1, max: 40 }), (lines, maxLines) => {
        const text = lines.join('\n');
        const { lines: requests, errors } = validateInput(text, '/v1/responses', maxLines, 256);
        const count = text.split('\n').length;
        for (const e of errors) {
          assert.match(e.code, /^[a-z_]+$/);
          assert.ok(e.line === null || (e.line >= 1 && e.line <= count), JSON.stringify(e));
        }
        for (const r of requests) assert.ok(r.line >= 1 && r.line <= count);
      }),
      runs(300),
    );
  });
});
