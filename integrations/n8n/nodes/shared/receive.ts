import type { IDataObject, IWebhookFunctions } from 'n8n-workflow';
import { endpointUid, fetchSecret, findEndpoint, type TriggerState } from './endpoint';

/** When each trigger last asked the relay for its secret after a failed check (a rotation). */
const secretCheckedAt = new Map<string, number>();
const SECRET_RECHECK_MS = 60_000;

export function header(headers: IDataObject, name: string): string | undefined {
	const value = headers[name];
	return Array.isArray(value) ? String(value[0]) : value === undefined ? undefined : String(value);
}

export function parseBody(body: Buffer, contentType: string | undefined): IDataObject | string {
	const text = body.toString('utf8');
	if (!contentType || /json/i.test(contentType)) {
		try {
			return JSON.parse(text) as IDataObject;
		} catch {
			return text;
		}
	}
	return text;
}

/**
 * The secrets to check a request with. A request can arrive while n8n is still activating the workflow
 * (the catch-up sends at once) and before n8n has saved the static data holding the secret: then the
 * secret is asked of the relay, by the endpoint's uid.
 */
export async function secretsOf(
	ctx: IWebhookFunctions,
	state: TriggerState,
	key: string,
): Promise<string[]> {
	if (!state.secret) await refreshSecret(ctx, state, key, true);
	return state.secret ? [state.secret] : [];
}

/** Asks the relay for the current secret (at most once a minute unless forced); true when it changed. */
export async function refreshSecret(
	ctx: IWebhookFunctions,
	state: TriggerState,
	key: string,
	force = false,
): Promise<boolean> {
	const now = Date.now();
	if (!force && now - (secretCheckedAt.get(key) ?? 0) < SECRET_RECHECK_MS) return false;
	secretCheckedAt.set(key, now);
	const endpoint = await findEndpoint.call(ctx, state, endpointUid.call(ctx));
	if (!endpoint) return false;
	if (!state.endpointId) state.endpointId = endpoint.id;
	const secret = await fetchSecret.call(ctx, endpoint.id);
	const changed = secret !== state.secret;
	state.secret = secret;
	return changed;
}
