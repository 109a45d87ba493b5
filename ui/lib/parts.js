// Small building blocks shared by pages, so every page looks and behaves the same.
import { copyButton } from './clipboard.js';
import { h } from './dom.js';
import { prettyJson } from './json.js';

/** The page header: an <h1> and the page's controls on one wrapping row (class .toolbar). */
export function toolbar(title, ...controls) {
  return h('div', { class: 'toolbar' }, h('h1', {}, title), ...controls);
}

/** A status line that hides itself when empty (class .notice, role status for screen readers). */
export function notice() {
  return h('p', { class: 'notice', role: 'status' });
}

/** Pretty JSON in a focusable, scrollable <pre>, with a copy button above it when `copy` is set. */
export function jsonBlock(value, { label = 'JSON', className = 'json', copy = false } = {}) {
  const text = typeof value === 'string' ? value : prettyJson(value);
  const pre = h('pre', { class: className, tabindex: '0', 'aria-label': label }, text);
  return copy
    ? h(
        'div',
        {},
        h(
          'div',
          { class: 'button-row' },
          copyButton(`Copy ${label.toLowerCase()}`, () => text),
        ),
        pre,
      )
    : pre;
}

/** A two-column name/value table (names sorted), e.g. headers; `empty` is shown when there are none. */
export function keyValueTable(record, { empty = 'None.', className = 'headers' } = {}) {
  const names = Object.keys(record ?? {}).sort();
  if (names.length === 0) return h('p', { class: 'muted' }, empty);
  const row = (name) => h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, h('code', {}, String(record[name]))));
  return h('table', { class: className }, h('tbody', {}, ...names.map(row)));
}

const STATUS_CLASS = { succeeded: 'ok', failed: 'bad', cancelled: 'bad', pending: 'warn', running: 'warn', waiting: 'warn' };

/** A run, step or delivery status as a badge: green for good, red for bad, amber while in progress. */
export const statusBadge = (status) =>
  h('span', { class: `badge ${STATUS_CLASS[status] ?? ''}`, dataset: { status: status ?? '' } }, status ?? 'unknown');
