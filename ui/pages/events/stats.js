import { h } from '../../lib/dom.js';

/**
 * Redeliveries the relay absorbed, by source, read from GET /metrics (`hookrelay_ingest_total` with
 * outcome "duplicate"): a re-sent provider message is answered with the first event's id and never
 * stored again, so it has no row of its own. The counter starts at zero when the relay starts.
 */
export async function fetchDuplicateCounts() {
  const res = await fetch('/metrics');
  if (!res.ok) return new Map();
  const counts = new Map();
  for (const line of (await res.text()).split('\n')) {
    if (!line.startsWith('hookrelay_ingest_total{')) continue;
    if (/outcome="([^"]*)"/.exec(line)?.[1] !== 'duplicate') continue;
    const source = /source="([^"]*)"/.exec(line)?.[1] ?? '';
    counts.set(source, Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

/** The strip above the list: events per source in this view, duplicates absorbed, paused backlog. */
export function renderStats(element, { counts, duplicates, shown, held, total }) {
  const sources = [...new Set([...counts.keys(), ...duplicates.keys()])].sort();
  const chips = [
    h(
      'span',
      { class: 'stat', dataset: { stat: 'shown' } },
      shown === total ? `${total} loaded` : `${shown} of ${total} loaded match`,
    ),
    ...sources.map((source) =>
      h(
        'span',
        { class: 'stat', dataset: { source } },
        h('strong', {}, source),
        ` ${counts.get(source) ?? 0}`,
        duplicates.get(source)
          ? h(
              'span',
              { class: 'dup', title: 'Re-sent provider messages answered as duplicates (since the relay started)' },
              ` · ${duplicates.get(source)} duplicate${duplicates.get(source) === 1 ? '' : 's'} absorbed`,
            )
          : null,
      ),
    ),
  ];
  if (held) chips.push(h('span', { class: 'stat held' }, `${held} new while paused`));
  element.replaceChildren(...chips);
}
