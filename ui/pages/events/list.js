import { h } from '../../lib/dom.js';
import { isInternal, repeatBadge, verifiedBadge } from './badges.js';
import { timeEl } from '../../lib/time.js';

/**
 * The event list: one <li> per event, newest first. Each row has a checkbox (select for the diff) and a
 * button that opens the event (Enter or Space, like any button). The list is one stop in the Tab order
 * (a roving tabindex: only the last focused row's controls are tabbable, not 1,000 of them); `j`/`k`
 * and the arrow keys move between rows.
 */
export function createEventList({ onOpen, onSelect, isSelected, repeatOf }) {
  const rows = h('ol', { class: 'event-list', 'aria-label': 'Events, newest first' });
  const empty = h('p', { class: 'empty muted' }, 'No events match. Send one with hookrelay send, or change the filters.');
  const element = h('div', {}, rows, empty);
  let current = null;
  let tabRow = null;
  rows.addEventListener('focusin', (event) => {
    const id = event.target.closest('li.event-row')?.dataset.id;
    if (id && id !== tabRow) syncTabStops(id);
  });

  /** Makes the controls of row `id` (or the first row) the list's only tab stops. */
  function syncTabStops(id = tabRow) {
    tabRow = id && rowOf(id) ? id : (rows.firstElementChild?.dataset.id ?? null);
    for (const li of rows.children) {
      const tabindex = li.dataset.id === tabRow ? '0' : '-1';
      for (const control of li.querySelectorAll('input, button')) control.setAttribute('tabindex', tabindex);
    }
  }

  function row(event) {
    const checkbox = h('input', {
      type: 'checkbox',
      'aria-label': `Select ${event.type} ${event.id} for diff`,
      checked: isSelected(event.id),
      onchange: () => onSelect(event.id, checkbox.checked),
    });
    const open = h(
      'button',
      { type: 'button', class: 'event-open', 'aria-controls': 'event-detail', onclick: () => onOpen(event.id) },
      timeEl(event.received_at),
      h('span', { class: 'source' }, event.source),
      h('span', { class: 'type' }, event.type),
      h('span', { class: 'badges' }, verifiedBadge(event), repeatBadge(repeatOf(event.id))),
    );
    return h(
      'li',
      {
        class: 'event-row',
        dataset: { id: event.id, source: event.source, type: event.type, internal: String(isInternal(event)) },
      },
      checkbox,
      open,
    );
  }

  function rowOf(id) {
    return rows.querySelector(`li[data-id="${CSS.escape(id)}"]`);
  }

  return {
    element,
    get size() {
      return rows.childElementCount;
    },
    /** Replaces all rows (events newest first). */
    render(events) {
      rows.replaceChildren(...events.map(row));
      empty.hidden = events.length > 0;
      if (current) this.setCurrent(current);
      syncTabStops();
    },
    prepend(event) {
      const li = row(event);
      rows.prepend(li);
      empty.hidden = true;
      if (tabRow === null) syncTabStops();
      else for (const control of li.querySelectorAll('input, button')) control.setAttribute('tabindex', '-1');
    },
    remove(id) {
      rowOf(id)?.remove();
      empty.hidden = rows.childElementCount > 0;
      if (id === tabRow) syncTabStops(null);
    },
    setCurrent(id) {
      current = id;
      for (const li of rows.querySelectorAll('li[aria-current]')) li.removeAttribute('aria-current');
      rowOf(id)?.setAttribute('aria-current', 'true');
    },
    setChecked(id, checked) {
      const box = rowOf(id)?.querySelector('input');
      if (box) box.checked = checked;
    },
    /** Moves keyboard focus `delta` rows from the focused one (or to the first row). */
    moveFocus(delta) {
      const buttons = [...rows.querySelectorAll('.event-open')];
      const at = buttons.indexOf(document.activeElement?.closest('li')?.querySelector('.event-open'));
      const next = buttons[at === -1 ? 0 : Math.max(0, Math.min(buttons.length - 1, at + delta))];
      next?.focus();
      next?.scrollIntoView({ block: 'nearest' });
    },
    focusedId() {
      return document.activeElement?.closest('li.event-row')?.dataset.id ?? null;
    },
  };
}
