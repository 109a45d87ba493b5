import { RelayError } from '../../errors.ts';

/** A webhook as it arrived: lower-cased headers and the raw body bytes, before anything parsed them. */
export interface IncomingWebhook {
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
  /** Milliseconds since the epoch, from the relay's clock. */
  now: number;
}

export interface Verification {
  scheme: string;
  /** The provider's own message id, used for de-duplication (webhook-id, X-GitHub-Delivery, ...). */
  providerId: string | null;
}

/** One verification scheme, configured with a source's secrets. Throws RelayError on a bad request. */
export interface Verifier {
  readonly scheme: string;
  verify(request: IncomingWebhook): Verification;
}

export const missing = (what: string) => new RelayError('signature_missing', `The ${what} header is missing.`);
export const invalid = (what = 'signature') =>
  new RelayError('signature_invalid', `The ${what} does not match the body with any configured secret.`);

/** `timestamp` is whole seconds since the epoch as sent; too far from `now` (ms) either way is refused. */
export function checkTimestamp(timestamp: string, now: number, toleranceSeconds: number): void {
  if (!/^\d{1,12}$/.test(timestamp)) {
    throw new RelayError('signature_invalid', 'The signature timestamp is not a whole number of seconds.');
  }
  const skew = Math.abs(now / 1000 - Number(timestamp));
  if (skew > toleranceSeconds) {
    throw new RelayError(
      'timestamp_out_of_tolerance',
      `The signature timestamp is ${Math.round(skew)} s away from the relay's clock (tolerance ${toleranceSeconds} s).`,
    );
  }
}

export function header(request: IncomingWebhook, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return value === undefined || value === '' ? undefined : value;
}
