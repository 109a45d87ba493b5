// The Standard Webhooks check a bare baseline does by hand: HMAC-SHA256 over `id.timestamp.body`,
// compared in constant time. No timestamp window, no key rotation: the least an ingest must do.
import { createHmac, timingSafeEqual } from 'node:crypto';

export function bareVerifier(secret: string): (headers: (name: string) => string | undefined, body: Buffer) => boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return (header, body) => {
    const signed = `${header('webhook-id')}.${header('webhook-timestamp')}.${body.toString('utf8')}`;
    const expected = Buffer.from(`v1,${createHmac('sha256', key).update(signed).digest('base64')}`);
    const given = Buffer.from(String(header('webhook-signature')));
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
}
