import { createHmac, timingSafeEqual } from 'crypto';

/** Why a request was refused; each becomes a 401 that starts nothing. */
export type SignatureProblem = 'unsigned' | 'stale' | 'forged';

export type Verification =
	| { ok: true; id: string; timestamp: number }
	| { ok: false; problem: SignatureProblem; message: string };

export interface SignedHeaders {
	id: string | undefined;
	timestamp: string | undefined;
	signature: string | undefined;
}

/** Default timestamp tolerance, as in the Standard Webhooks libraries. */
export const TOLERANCE_SECONDS = 300;

function secretBytes(secret: string): Buffer {
	return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

/** `v1,<base64>` over `id.timestamp.body`, as Standard Webhooks signs it. */
export function sign(secret: string, id: string, timestamp: number, body: Buffer): string {
	const hmac = createHmac('sha256', secretBytes(secret));
	hmac.update(`${id}.${timestamp}.`);
	hmac.update(body);
	return `v1,${hmac.digest('base64')}`;
}

/**
 * Standard Webhooks verification on the raw bytes: every `v1,` signature in the space-separated list is
 * compared, in constant time, with one made by each known secret (current and retired: a rotation
 * signs with both), and the timestamp must be within the tolerance of now either way.
 */
export function verify(
	body: Buffer,
	headers: SignedHeaders,
	secrets: readonly string[],
	nowSeconds: number,
	toleranceSeconds = TOLERANCE_SECONDS,
): Verification {
	const { id, timestamp, signature } = headers;
	if (!id || !timestamp || !signature) {
		return {
			ok: false,
			problem: 'unsigned',
			message: 'Missing webhook-id, webhook-timestamp or webhook-signature.',
		};
	}
	const ts = Number(timestamp);
	if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - ts) > toleranceSeconds) {
		return {
			ok: false,
			problem: 'stale',
			message: 'The webhook-timestamp is outside the tolerance.',
		};
	}
	const given = signature
		.split(' ')
		.filter((part) => part.startsWith('v1,'))
		.map((part) => Buffer.from(part.slice(3), 'base64'));
	for (const secret of secrets) {
		const expected = Buffer.from(sign(secret, id, ts, body).slice(3), 'base64');
		if (given.some((g) => g.length === expected.length && timingSafeEqual(g, expected))) {
			return { ok: true, id, timestamp: ts };
		}
	}
	return { ok: false, problem: 'forged', message: 'No signature matches a known secret.' };
}
