import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { before, describe, it } from 'node:test';
import { compileWorkflow } from '../../server/workflows/compile.ts';
import { loadPlugins, type PluginRegistry } from '../../server/workflows/plugin-registry.ts';

// foreach, parallel, wait.callback, workflow.call, output and secrets: each problem reported at load
// with the line and column of the offending YAML node.

describe('the automation constructs are checked at load with file:line:col', () => {
  let plugins: PluginRegistry;
  before(async () => {
    plugins = await loadPlugins({ specs: [], baseDir: tmpdir() });
  });
  const problems = (text: string) =>
    compileWorkflow('w.yaml', text, { plugins: (n) => plugins.get(n), env: [], secrets: ['API_TOKEN'] }).problems.map(
      (p) => `${p.line}:${p.col}: ${p.message}`,
    );

  it('accepts each construct written as documented', () => {
    const text = `name: ok
output: "{{ steps.b.output }}"
steps:
  - id: first
    uses: transform
    with: { value: "{{ secrets.API_TOKEN }}" }
  - id: each
    uses: transform
    foreach: "{{ [1, 2] }}"
    concurrency: 2
    continueOnError: true
    with: { value: "{{ item * index }}" }
  - id: both
    parallel:
      - id: a
        uses: transform
        with: { value: "{{ steps.each.output }}" }
      - id: b
        uses: workflow.call
        with: { workflow: other, input: { x: 1 } }
  - id: back
    uses: wait.callback
    with: { timeout: 5m }
`;
    assert.deepEqual(problems(text), []);
  });

  it('reports concurrency without foreach, foreach on wait.callback and a bad foreach expression', () => {
    const text = `name: bad
steps:
  - id: one
    uses: transform
    concurrency: 2
    with: { value: 1 }
  - id: two
    uses: wait.callback
    foreach: "{{ [1] }}"
    with: { timeout: 1m }
  - id: three
    uses: transform
    foreach: "{{ [1, }}"
    with: { value: 1 }
`;
    assert.deepEqual(problems(text), [
      '5:18: concurrency applies to foreach: add foreach to the step or remove concurrency',
      '9:15: wait.callback cannot run in a foreach',
      '13:21: bad expression "[1,": Expected "]" before end of expression',
    ]);
  });

  it('reports a branch referring to a sibling, a group with step fields, and a step with neither uses nor parallel', () => {
    const text = `name: bad
steps:
  - id: group
    uses: transform
    parallel:
      - id: a
        uses: transform
        with: { value: 1 }
      - id: b
        uses: transform
        with: { value: "{{ steps.a.output }}" }
  - id: empty
`;
    assert.deepEqual(problems(text), [
      '4:11: a parallel: group has only id, name and parallel (found uses)',
      '11:25: step "a" runs later: refer only to earlier steps',
      '12:5: step "empty" needs uses: (a step) or parallel: (a group)',
    ]);
  });

  it('reports a secret not listed in workflows.secrets, a bad output: and a bad workflow.call', () => {
    const text = `name: bad
output: "{{ steps.nope.output }}"
steps:
  - id: call
    uses: workflow.call
    with: { workflow: "{{ event.name }}", input: "{{ secrets.OTHER }}" }
`;
    assert.deepEqual(problems(text), [
      '6:24: workflow.call: with.workflow does not match pattern "^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"',
      '6:51: secrets.OTHER is not allowed: list it under workflows.secrets in the config',
      '2:10: unknown step "nope"',
    ]);
  });
});

describe('a workflow.call naming no loaded workflow', () => {
  it('is reported on its file with line and column, and clears once the workflow exists', async (t) => {
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { WorkflowRegistry } = await import('../../server/workflows/registry.ts');
    const { workflowDir } = await import('./workflow-dir.ts');
    const plugins = await loadPlugins({ specs: [], baseDir: tmpdir() });
    const dir = await workflowDir({
      'caller.yaml': 'name: caller\nsteps:\n  - id: c\n    uses: workflow.call\n    with: { workflow: callee }\n',
    });
    const { workerChecker } = await import('../../server/workflows/checker.ts');
    const { EXPRESSION_DEFAULTS } = await import('../../server/workflows/expression-limits.ts');
    // The relay's own path: checked in the worker thread (which knows the positions), built here.
    const checker = workerChecker({ plugins: [], baseDir: tmpdir(), env: [], secrets: [], expressions: EXPRESSION_DEFAULTS });
    t.after(() => checker.close());
    const registry = new WorkflowRegistry({
      dir,
      compile: { plugins: (n) => plugins.get(n), env: [] },
      checker,
      maxFileBytes: 1 << 20,
      onError: (e) => {
        throw e;
      },
      onProblems: () => {},
    });
    await registry.reload();
    assert.deepEqual(registry.files()[0].problems, [
      { line: 5, col: 23, message: 'workflow.call: no workflow named "callee" is loaded' },
    ]);
    await writeFile(join(dir, 'callee.yaml'), 'name: callee\nsteps:\n  - id: s\n    uses: transform\n    with: { value: 1 }\n');
    await registry.reload();
    assert.deepEqual(
      registry.files().map((f) => [f.file, f.problems.length]),
      [
        ['callee.yaml', 0],
        ['caller.yaml', 0],
      ],
    );
  });
});
