import { h } from '../../lib/dom.js';

/**
 * "verified" (the scheme in the tooltip, or in full with `long`) for a checked signature; "unsigned" for
 * scheme none; "internal" (never "verified") for events the relay emitted itself.
 */
export function verifiedBadge(event, { long = false } = {}) {
  const scheme = event.verified?.scheme;
  if (scheme === 'internal') {
    return h(
      'span',
      { class: 'badge internal', title: `Emitted by the relay itself (${event.source}); no signature to check.` },
      'internal',
    );
  }
  if (!scheme || scheme === 'none') {
    return h('span', { class: 'badge bad', title: 'This source accepts unsigned requests (scheme: none).' }, 'unsigned');
  }
  return h(
    'span',
    { class: 'badge ok', title: `Signature checked (${scheme}) before the event was stored.` },
    long ? `verified ${scheme}` : 'verified',
  );
}

export function repeatBadge(firstId) {
  if (!firstId) return null;
  return h(
    'span',
    {
      class: 'badge warn',
      title: `Same source and payload as ${firstId}: the sender re-sent it under a new provider id (or none), so the relay could not recognise it as a duplicate.`,
    },
    'repeat',
  );
}

/** Events the relay made itself (workflow emit, AI and batch state changes, endpoint.disabled). */
export const isInternal = (event) => event.verified?.scheme === 'internal';
