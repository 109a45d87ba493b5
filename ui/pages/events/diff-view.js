import { diffLines, withContext } from '../../lib/diff.js';
import { h } from '../../lib/dom.js';
import { canonicalLines } from '../../lib/json.js';

/**
 * Two events side by side as a line diff of their payloads and headers (keys sorted first, so key order
 * does not count as a change). `left` is the older event.
 */
export function renderDiff(container, left, right, { onClose }) {
  container.replaceChildren(
    h(
      'div',
      { class: 'detail-head' },
      h('h2', { id: 'detail-title', tabindex: '-1' }, 'Diff'),
      h('button', { type: 'button', class: 'close', onclick: onClose, 'aria-label': 'Close diff' }, '×'),
    ),
    h(
      'p',
      { class: 'diff-legend' },
      h('span', { class: 'del' }, `− ${left.id} (${left.type})`),
      h('br'),
      h('span', { class: 'add' }, `+ ${right.id} (${right.type})`),
    ),
    h('h3', {}, 'Payload'),
    diffBlock(canonicalLines(left.payload), canonicalLines(right.payload), 'payload'),
    h('h3', {}, 'Headers'),
    diffBlock(canonicalLines(left.headers ?? {}), canonicalLines(right.headers ?? {}), 'headers'),
  );
}

function diffBlock(a, b, what) {
  const lines = diffLines(a, b);
  if (lines === null) return h('p', { class: 'muted' }, `The ${what} are too large or too different to diff line by line.`);
  if (lines.every((line) => line.op === ' ')) return h('p', { class: 'muted same' }, `Identical ${what}.`);
  const rows = withContext(lines).map((line) => {
    if (line.op === '…') return h('div', { class: 'ctx skip' }, `… ${line.count} unchanged line${line.count === 1 ? '' : 's'}`);
    const kind = line.op === '+' ? 'add' : line.op === '-' ? 'del' : 'ctx';
    return h('div', { class: kind }, `${line.op === ' ' ? ' ' : line.op} ${line.text}`);
  });
  return h('pre', { class: `diff diff-${what}`, tabindex: '0', 'aria-label': `${what} diff` }, ...rows);
}
