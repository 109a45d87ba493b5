// An endpoint's health as the console shows it: never "n/a of 0" while deliveries are pending. Finished
// deliveries give the success rate; before any has finished, the attempts do; before any attempt, the
// pending count says what is going on. The chart: recent attempts per time slice, green succeeded and
// red failed, drawn as inline SVG.
import { h } from '../../lib/dom.js';
import { s, svgRoot } from '../../lib/svg.js';
import { timeEl } from '../../lib/time.js';

const pct = (rate) => `${Math.round(rate * 100)}%`;
export const CHART = { slices: 24, width: 192, height: 36, minSpanMs: 60_000 };

/** The success line: by finished deliveries, else by attempts, else what is pending. */
export function successText(health) {
  if (health.sample > 0) return `${pct(health.success_rate)} of ${health.sample} delivered`;
  if (health.attempt_sample > 0) return `${pct(health.attempt_success_rate)} of ${health.attempt_sample} attempts`;
  if (health.pending > 0) return 'no attempt yet';
  return 'no deliveries yet';
}

/**
 * Attempts per slice of the window from the oldest shown attempt (at least a minute back) to `now`:
 * [{ok, failed, from, to}].
 */
export function slices(attempts, now = Date.now(), count = CHART.slices) {
  if (attempts.length === 0) return [];
  const start = Math.min(now - CHART.minSpanMs, ...attempts.map((a) => Date.parse(a.at)));
  const span = Math.max(1, now - start + 1);
  const out = Array.from({ length: count }, (_, i) => ({
    ok: 0,
    failed: 0,
    from: start + (span * i) / count,
    to: start + (span * (i + 1)) / count,
  }));
  for (const a of attempts) {
    const i = Math.min(count - 1, Math.floor(((Date.parse(a.at) - start) / span) * count));
    out[i][a.ok ? 'ok' : 'failed']++;
  }
  return out;
}

export function attemptsChart(attempts) {
  const data = slices(attempts);
  const ok = attempts.filter((a) => a.ok).length;
  const title = `${attempts.length} recent attempts: ${ok} succeeded, ${attempts.length - ok} failed`;
  if (data.length === 0) return null;
  const max = Math.max(1, ...data.map((d) => d.ok + d.failed));
  const bar = CHART.width / CHART.slices;
  const bars = data.flatMap((d, i) => {
    const okH = (d.ok / max) * CHART.height;
    const badH = (d.failed / max) * CHART.height;
    const x = i * bar + 1;
    const tip = `${new Date(d.from).toLocaleTimeString('en-GB')}–${new Date(d.to).toLocaleTimeString('en-GB')}: ${d.ok} ok, ${d.failed} failed`;
    return [
      d.ok ? s('rect', { x, y: CHART.height - okH, width: bar - 2, height: okH, class: 'bar-ok' }, s('title', {}, tip)) : null,
      d.failed
        ? s('rect', { x, y: CHART.height - okH - badH, width: bar - 2, height: badH, class: 'bar-bad' }, s('title', {}, tip))
        : null,
    ];
  });
  const chart = svgRoot(
    CHART.width,
    CHART.height,
    title,
    s('line', { x1: 0, y1: CHART.height - 0.5, x2: CHART.width, y2: CHART.height - 0.5, class: 'axis' }),
    ...bars,
  );
  return h('figure', { class: 'attempts-chart' }, chart, h('figcaption', { class: 'muted' }, `attempts, last ${spanText(data)}`));
}

/** The chart's time window in words: minutes up to two hours, then hours. */
function spanText(data) {
  const minutes = Math.round((data.at(-1).to - data[0].from) / 60_000);
  return minutes < 120 ? `${Math.max(1, minutes)} min` : `${Math.round(minutes / 60)} h`;
}

/** The health cell: success, pending, failing since, and the chart. */
export function healthCell(health) {
  return h(
    'div',
    { class: 'health' },
    h('div', { class: 'success' }, successText(health)),
    h(
      'div',
      { class: 'muted' },
      `${health.pending} pending`,
      health.failing_since ? [' · failing since ', timeEl(health.failing_since)] : '',
    ),
    attemptsChart(health.recent_attempts ?? []),
  );
}

/** The last error: status code and message, when, and the start of the response body. */
export function lastErrorCell(health) {
  if (!health.last_error) return h('span', { class: 'muted' }, 'none');
  return h(
    'div',
    { class: 'last-error' },
    h('div', { class: 'error' }, health.last_error),
    health.last_error_at ? h('div', { class: 'muted' }, timeEl(health.last_error_at)) : null,
    health.last_response_body
      ? h('pre', { class: 'excerpt', tabindex: '0', 'aria-label': 'Response body' }, health.last_response_body)
      : null,
  );
}
