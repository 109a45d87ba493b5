import type {
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	IPollFunctions,
	IWebhookFunctions,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

export type HookrelayContext =
	| IExecuteFunctions
	| IHookFunctions
	| IPollFunctions
	| IWebhookFunctions
	| ILoadOptionsFunctions;

export interface RelayRequest {
	method: IHttpRequestMethods;
	path: string;
	body?: IDataObject;
	qs?: IDataObject;
	headers?: IDataObject;
}

/** The relay's base URL from the credential, without a trailing slash. */
export async function relayBaseUrl(this: HookrelayContext): Promise<string> {
	const credentials = await this.getCredentials('hookrelayApi');
	return String(credentials.baseUrl).replace(/\/+$/, '');
}

/** One authenticated JSON request to the relay; relay errors become NodeApiError with the relay's code. */
export async function relayRequest(
	this: HookrelayContext,
	request: RelayRequest,
): Promise<IDataObject> {
	const options: IHttpRequestOptions = {
		method: request.method,
		url: `${await relayBaseUrl.call(this)}${request.path}`,
		qs: request.qs,
		body: request.body,
		headers: request.headers,
		json: true,
	};
	try {
		return (await this.helpers.httpRequestWithAuthentication.call(
			this,
			'hookrelayApi',
			options,
		)) as IDataObject;
	} catch (error) {
		throw new NodeApiError(this.getNode(), error as JsonObject);
	}
}

/** A request whose answer is looked at whatever its status (404 or 409 mean something to the caller). */
export async function relayCall(
	this: HookrelayContext,
	request: RelayRequest,
): Promise<{ status: number; body: IDataObject }> {
	const options: IHttpRequestOptions = {
		method: request.method,
		url: `${await relayBaseUrl.call(this)}${request.path}`,
		qs: request.qs,
		body: request.body,
		json: true,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
	};
	const response = (await this.helpers.httpRequestWithAuthentication.call(
		this,
		'hookrelayApi',
		options,
	)) as { statusCode: number; body: IDataObject };
	return { status: response.statusCode, body: response.body ?? {} };
}

/** The relay's error code in an answer body (`endpoint_uid_taken`, `not_found`, ...). */
export function relayCode(body: IDataObject): string | undefined {
	const error = body.error as IDataObject | undefined;
	return typeof error?.code === 'string' ? error.code : undefined;
}
