import { RelayError } from '../errors.ts';
import { assertJsonDepth } from '../json-depth.ts';

const isJson = (contentType: string) => /^application\/([\w.+-]+\+)?json\b/i.test(contentType);

/** The payload as the API shows it; only called on bytes that already passed verification. */
export function parseBody(body: Buffer, contentType: string, maxDepth: number): unknown {
  if (body.length === 0) return null;
  if (isJson(contentType)) {
    assertJsonDepth(body, maxDepth);
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      throw new RelayError('invalid_json', 'The body is labelled JSON but does not parse as JSON.');
    }
  }
  if (/^application\/x-www-form-urlencoded\b/i.test(contentType)) {
    return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  }
  return body.toString('utf8');
}
