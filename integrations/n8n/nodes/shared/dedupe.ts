/** Event ids a trigger remembers, oldest first, as kept in the workflow's static data. */
export interface SeenEvent {
	/** Event id (webhook-id). */
	e: string;
	/** Delivery id of the first delivery that carried it. */
	d: string;
	/** Highest attempt seen of that delivery. */
	a: number;
	/** When first seen, epoch ms. */
	t: number;
}

/** How many event ids and for how long a trigger remembers them (docs/n8n.md). */
export const DEDUPE_MAX_EVENTS = 1000;
export const DEDUPE_WINDOW_MS = 7 * 24 * 3600 * 1000;

export type AckMode = 'receipt' | 'success';

/**
 * Whether a delivery is a repeat to drop. Acknowledged on receipt, any second arrival of an event id
 * is a repeat. Acknowledged on success, a later attempt of the same delivery is not (the relay retries
 * because the workflow failed or the answer was lost), but another delivery of the event (a replay) is.
 * Records the arrival either way and drops entries beyond the window.
 */
export function isRepeat(
	seen: SeenEvent[],
	arrival: { eventId: string; deliveryId: string; attempt: number; now: number },
	mode: AckMode,
): boolean {
	const cutoff = arrival.now - DEDUPE_WINDOW_MS;
	while (seen.length > 0 && (seen[0].t < cutoff || seen.length > DEDUPE_MAX_EVENTS)) seen.shift();
	const known = seen.find((s) => s.e === arrival.eventId);
	if (!known) {
		seen.push({ e: arrival.eventId, d: arrival.deliveryId, a: arrival.attempt, t: arrival.now });
		if (seen.length > DEDUPE_MAX_EVENTS) seen.shift();
		return false;
	}
	if (mode === 'success' && known.d === arrival.deliveryId && arrival.attempt > known.a) {
		known.a = arrival.attempt;
		return false;
	}
	return true;
}
