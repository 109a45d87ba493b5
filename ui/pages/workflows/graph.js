// A workflow's steps drawn as a graph (inline SVG): one row per step, steps of a parallel group (the
// same `group`) side by side in one row, arrows between rows, the onError steps as a branch on the
// right. With a run, each node takes the colour of its step's status.
import { s, svgRoot } from '../../lib/svg.js';

const NODE = { w: 150, h: 34, gapX: 16, gapY: 26 };

/** Consecutive steps sharing a `group` form one row; others are a row each. */
export function rowsOf(steps) {
  const rows = [];
  for (const step of steps) {
    const last = rows.at(-1);
    if (step.group && last && last[0].group === step.group) last.push(step);
    else rows.push([step]);
  }
  return rows;
}

function node(step, x, y, status) {
  const label = step.id.length > 18 ? `${step.id.slice(0, 17)}…` : step.id;
  return s(
    'g',
    { class: `node ${status ?? 'idle'}`, 'data-step': step.id },
    s('title', {}, `${step.id} (${step.uses})${status ? `: ${status}` : ''}`),
    s('rect', { x, y, width: NODE.w, height: NODE.h, rx: 6 }),
    s('text', { x: x + NODE.w / 2, y: y + 14, 'text-anchor': 'middle', class: 'node-id' }, label),
    s('text', { x: x + NODE.w / 2, y: y + 27, 'text-anchor': 'middle', class: 'node-uses' }, step.uses),
  );
}

function column(steps, left, statusOf) {
  const rows = rowsOf(steps);
  const parts = [];
  let width = 0;
  rows.forEach((row, i) => {
    const y = i * (NODE.h + NODE.gapY);
    for (const [j, step] of row.entries()) parts.push(node(step, left + j * (NODE.w + NODE.gapX), y, statusOf(step)));
    width = Math.max(width, row.length * (NODE.w + NODE.gapX) - NODE.gapX);
    if (i > 0) {
      const x = left + NODE.w / 2;
      parts.push(s('line', { x1: x, y1: y - NODE.gapY, x2: x, y2: y - 4, class: 'edge', 'marker-end': 'url(#arrow)' }));
    }
  });
  return { parts, width, height: rows.length * (NODE.h + NODE.gapY) - NODE.gapY };
}

/** The graph of `workflow` ({steps, on_error}); `run` (optional) colours nodes by step status. */
export function workflowGraph(workflow, run = null) {
  const recordOf = (step, phase) => run?.steps.find((r) => r.id === step.id && (r.phase ?? 'steps') === phase);
  const statusOf = (phase) => (step) => recordOf(step, phase)?.status ?? null;
  // A step's parallel group comes with the definition, or else with the run's record of it.
  const steps = (workflow.steps ?? []).map((step) => ({ ...step, group: step.group ?? recordOf(step, 'steps')?.group }));
  const main = column(steps, 0, statusOf('steps'));
  const onError = workflow.on_error?.length ? column(workflow.on_error, main.width + 40, statusOf('onError')) : null;
  const width = Math.max(NODE.w, main.width + (onError ? onError.width + 40 : 0));
  const height = Math.max(main.height, onError ? onError.height + 18 : 0) + 2;
  const defs = s(
    'defs',
    {},
    s(
      'marker',
      { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' },
      s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow-head' }),
    ),
  );
  const errorLabel = onError ? s('text', { x: main.width + 40, y: height - 2, class: 'node-uses' }, 'onError') : null;
  const graph = svgRoot(
    width + 2,
    height + (onError ? 14 : 0),
    `Steps of ${workflow.name}`,
    defs,
    ...main.parts,
    ...(onError?.parts ?? []),
    errorLabel,
  );
  graph.classList.add('workflow-graph');
  return graph;
}
