import { RelayError } from '../errors.ts';
import { assertJsonDepth } from '../json-depth.ts';

const isJson = (contentType: string) => /^application\/([\w.+-]+\+)?json\b/i.test(contentType);

export interface ParsedBody {
  payload: unknown;
  /** The JSON text the payload was parsed from (JSON bodies only): the store can write it as it is. */
  json?: string;
}

/** The payload as the API shows it; only called on bytes that already passed verification. */
export function parseBody(body: Buffer, contentType: string, maxDepth: number): ParsedBody {
  if (body.length === 0) return { payload: null };
  if (isJson(contentType)) {
    assertJsonDepth(body, maxDepth);
    const json = body.toString('utf8');
    try {
      return { payload: JSON.parse(json), json };
    } catch {
      throw new RelayError('invalid_json', 'The body is labelled JSON but does not parse as JSON.');
    }
  }
  if (/^application\/x-www-form-urlencoded\b/i.test(contentType)) {
    return { payload: Object.fromEntries(new URLSearchParams(body.toString('utf8'))) };
  }
  return { payload: body.toString('utf8') };
}
