// Keyboard shortcuts of the events page (listed in README and docs/console.md). Single keys only act when
// focus is not in a text field, so typing a filter never triggers them.

const TYPING = new Set(['INPUT', 'TEXTAREA', 'SELECT']);

export function bindShortcuts(actions) {
  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === 'Escape') return actions.close();
    const target = event.target;
    if (TYPING.has(target?.tagName) && target.type !== 'checkbox') return;
    const inList = Boolean(target?.closest?.('.event-list'));
    const action = {
      '/': actions.focusSearch,
      j: () => actions.move(1),
      k: () => actions.move(-1),
      ArrowDown: inList ? () => actions.move(1) : undefined,
      ArrowUp: inList ? () => actions.move(-1) : undefined,
      x: actions.toggleFocused,
      c: actions.compare,
      p: actions.togglePause,
    }[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  }
  document.addEventListener('keydown', onKey);
  return () => document.removeEventListener('keydown', onKey);
}
