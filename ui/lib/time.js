// One way to show a time on every page: `HH:MM:SS` (24 h, local) for today, `YYYY-MM-DD HH:MM:SS`
// otherwise; the full timestamp (local with zone, and UTC ISO) is in the tooltip.
import { h } from './dom.js';

const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const full = new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeStyle: 'long' });

const pad = (n) => String(n).padStart(2, '0');

/** The short text for an ISO time or epoch ms ('' for none). */
export function formatTime(value, now = new Date()) {
  if (value === null || value === undefined || value === '') return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const sameDay = date.toDateString() === now.toDateString();
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return sameDay ? clock.format(date) : `${day} ${clock.format(date)}`;
}

/** The tooltip text: the local date and time in words, then the UTC ISO timestamp. */
export function fullTime(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : `${full.format(date)} (${date.toISOString()})`;
}

/** A <time> element with the short text and the full timestamp on hover. */
export function timeEl(value) {
  if (value === null || value === undefined || value === '') return h('span', { class: 'muted' }, '—');
  const iso = new Date(value).toISOString();
  return h('time', { datetime: iso, title: fullTime(value) }, formatTime(value));
}
