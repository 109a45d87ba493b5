const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * When the relay received the event: hookrelay ids begin with their creation time in milliseconds,
 * as ten Crockford base32 digits after the prefix (`evt_` + time + sequence + random).
 */
export function receivedAtOf(eventId: string): string | null {
	const match = /^[a-z]+_([0-9a-z]{10})[0-9a-z]{12}$/.exec(eventId);
	if (!match) return null;
	let ms = 0;
	for (const digit of match[1]) {
		const value = ALPHABET.indexOf(digit);
		if (value < 0) return null;
		ms = ms * 32 + value;
	}
	return new Date(ms).toISOString();
}
