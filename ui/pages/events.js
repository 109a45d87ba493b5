import { session } from '../lib/api.js';
import { h } from '../lib/dom.js';
import { notice as noticeLine, toolbar } from '../lib/parts.js';
import { renderDetail } from './events/detail.js';
import { renderDiff } from './events/diff-view.js';
import { EventFeed, MAX_EVENTS } from './events/feed.js';
import { createFilterBar, eventMatcher, serverFilters } from './events/filter.js';
import { bindShortcuts } from './events/keys.js';
import { createEventList } from './events/list.js';
import { createLiveFeed } from './events/live-feed.js';
import { fetchDuplicateCounts, renderStats } from './events/stats.js';

const DUPLICATE_POLL_MS = 5000;

/** The live event list with filters, detail, diff and pause. See the header of ui/app.js for the pieces. */
export default {
  id: 'events',
  title: 'Events',
  mount(container, ctx) {
    const page = createEventsPage(container, ctx);
    // #/events/<id> opens that event (a link to share); it may be older than what the list holds.
    page.reload().then(() => ctx.route.rest && page.openEvent(decodeURIComponent(ctx.route.rest)));
    return page.stop;
  },
};

function createEventsPage(container, ctx) {
  const feed = new EventFeed();
  /** The events ticked for the diff (kept as objects, so filters and eviction do not lose them). */
  const selected = [];
  const selectedAt = (id) => selected.findIndex((e) => e.id === id);
  let duplicates = new Map();
  let openId = null;
  /** Stops the open event's activity polling. */
  let stopDetail = () => {};
  /** What the right-hand pane shows: nothing, one event, or a diff. */
  let panel = 'none';
  let matches = () => true;

  const filters = createFilterBar((changed) => (changed === 'text' ? refilter() : scheduleReload()));
  const pause = h('button', { type: 'button', class: 'pause', 'aria-pressed': 'false', onclick: () => togglePause() }, 'Pause');
  const compare = h('button', { type: 'button', class: 'compare', disabled: true, onclick: () => showDiff() }, 'Compare 0/2');
  const stats = h('div', { class: 'feed-stats', 'aria-label': 'Counts' });
  const notice = noticeLine();
  const detail = h('section', { id: 'event-detail', class: 'detail', 'aria-labelledby': 'detail-title' });
  const list = createEventList({
    onOpen: (id) => openEvent(id),
    onSelect: (id, on) => select(id, on),
    isSelected: (id) => selectedAt(id) !== -1,
    repeatOf: (id) => feed.repeatOf(id),
  });
  container.append(
    toolbar('Events', filters.element, pause, compare),
    stats,
    notice,
    h('div', { class: 'panes' }, h('div', { class: 'list-pane' }, list.element), detail),
  );
  showPlaceholder();

  const live = createLiveFeed({
    ctx,
    onLoaded(page) {
      feed.reset(page.data);
      notice.textContent = page.has_more ? `Showing the newest ${MAX_EVENTS}; older events are kept by the relay.` : '';
      refilter();
    },
    onBatch(events) {
      const shown = [];
      const evicted = [];
      for (const event of events) {
        const result = feed.add(event);
        shown.push(...result.shown);
        evicted.push(...result.evicted);
      }
      show(shown, evicted);
    },
    onNotice: (text) => (notice.textContent = text),
  });
  const reload = () => live.load(serverFilters(filters.values()));

  let reloadTimer = null;
  function scheduleReload() {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(reload, 250);
  }

  function show(shown, evicted) {
    const gone = new Set(evicted.map((e) => e.id));
    for (const id of gone) list.remove(id);
    const visible = shown.filter((e) => !gone.has(e.id) && matches(e));
    // Usually everything new is newer than all rows: prepend oldest first. Otherwise redraw in id order.
    const newest = feed.events.slice(0, shown.length);
    if (visible.every((e) => newest.includes(e))) {
      for (const event of visible.sort((a, b) => (a.id < b.id ? -1 : 1))) list.prepend(event);
    } else list.render(feed.events.filter(matches));
    filters.offerSources(shown.map((e) => e.source));
    updateStats();
  }

  function refilter() {
    matches = eventMatcher(filters.values());
    list.render(feed.events.filter(matches));
    filters.offerSources(feed.counts.keys());
    updateStats();
  }

  function updateStats() {
    renderStats(stats, {
      counts: feed.counts,
      duplicates,
      shown: list.size,
      total: feed.events.length,
      held: feed.heldCount,
    });
    compare.textContent = `Compare ${selected.length}/2`;
    compare.disabled = selected.length !== 2;
    pause.textContent = feed.paused ? `Resume${feed.heldCount ? ` (${feed.heldCount} new)` : ''}` : 'Pause';
    pause.setAttribute('aria-pressed', String(feed.paused));
  }

  function togglePause() {
    if (!feed.paused) {
      feed.pause();
      updateStats();
      return;
    }
    const { shown, evicted } = feed.resume();
    show(shown, evicted);
  }

  function select(id, on) {
    const at = selectedAt(id);
    const event = feed.get(id);
    if (on && at === -1 && event) selected.push(event);
    if (!on && at !== -1) selected.splice(at, 1);
    // Two at most: a third selection replaces the oldest one.
    while (selected.length > 2) list.setChecked(selected.shift().id, false);
    list.setChecked(id, on);
    updateStats();
  }

  function openEvent(id) {
    openId = id;
    const known = feed.get(id);
    if (known) return showEvent(known);
    // An event older than the list holds (a shared #/events/<id> link): ask the relay.
    ctx.api(`/v1/events/${encodeURIComponent(id)}`).then(
      (event) => openId === id && showEvent(event),
      () => {
        if (openId === id) notice.textContent = `No event ${id} (removed by retention, or not visible to this token).`;
      },
    );
  }

  function showEvent(event) {
    panel = 'event';
    list.setCurrent(event.id);
    // replaceState, not location.hash: a hash change would mount the page again.
    history.replaceState(null, '', `#/events/${encodeURIComponent(event.id)}`);
    const rawBody = (eventId) => rawText(eventId);
    stopDetail();
    stopDetail = renderDetail(detail, event, {
      api: ctx.api,
      rawBody,
      repeatOf: (x) => feed.repeatOf(x),
      onOpen: openEvent,
      onClose: closeDetail,
    });
  }

  function showDiff() {
    if (selected.length !== 2) return;
    const [a, b] = [...selected].sort((x, y) => (x.id < y.id ? -1 : 1));
    openId = null;
    stopDetail();
    panel = 'diff';
    list.setCurrent(null);
    history.replaceState(null, '', '#/events');
    renderDiff(detail, a, b, { onClose: closeDetail });
  }

  function closeDetail() {
    stopDetail();
    openId = null;
    panel = 'none';
    list.setCurrent(null);
    history.replaceState(null, '', '#/events');
    showPlaceholder();
  }

  function showPlaceholder() {
    detail.replaceChildren(
      h(
        'p',
        { class: 'muted' },
        'Open an event (click, or Enter on a row) to see its payload, raw body, headers and what it caused. Tick two to compare them.',
      ),
    );
  }

  async function pollDuplicates() {
    duplicates = await fetchDuplicateCounts().catch(() => duplicates);
    updateStats();
  }
  pollDuplicates();
  const duplicateTimer = setInterval(pollDuplicates, DUPLICATE_POLL_MS);

  const unbindKeys = bindShortcuts({
    focusSearch: () => filters.text.focus(),
    move: (delta) => list.moveFocus(delta),
    toggleFocused: () => {
      const id = list.focusedId();
      if (id) select(id, selectedAt(id) === -1);
    },
    compare: showDiff,
    togglePause,
    close: () => (panel !== 'none' ? closeDetail() : undefined),
  });

  return {
    reload,
    openEvent,
    stop() {
      stopDetail();
      live.stop();
      clearTimeout(reloadTimer);
      clearInterval(duplicateTimer);
      unbindKeys();
    },
  };
}

async function rawText(id) {
  const res = await fetch(`/v1/events/${encodeURIComponent(id)}/raw`, { headers: { authorization: `Bearer ${session.token}` } });
  if (!res.ok) throw new Error(`raw body: HTTP ${res.status}`);
  return res.text();
}
