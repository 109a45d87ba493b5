import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONSOLE_CSP } from '../../server/http/security-headers.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';

// Issue 14 items 10 and 11: what a browser is told about the console's pages, the API, and the raw
// bodies webhook senders chose.
describe('security headers', () => {
  let relay: TestRelay;
  before(async () => {
    relay = await startRelay({ sources: [{ name: 'dev', insecure: true, verify: { scheme: 'none' } }] });
  });
  after(() => relay.stop());

  it('serves the console and the API with a strict CSP, no framing, nosniff and no referrer', async () => {
    for (const path of ['/', '/ui/app.js', '/ui/style.css', '/v1/events', '/healthz', '/v1/no-such-route']) {
      const res = await fetch(`${relay.url}${path}`, { headers: relay.auth });
      await res.body?.cancel();
      assert.equal(res.headers.get('content-security-policy'), CONSOLE_CSP, path);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer', path);
    }
    for (const directive of ["script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]) {
      assert.ok(CONSOLE_CSP.split('; ').includes(directive), directive);
    }
    assert.doesNotMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/);
  });

  it('serves a raw text/html body with a script as an inert attachment, keeping its bytes and type', async () => {
    const body = '<html><body><script>fetch("/v1/tokens")</script></body></html>';
    const ingest = await fetch(`${relay.url}/hooks/dev`, { method: 'POST', headers: { 'content-type': 'text/html' }, body });
    assert.equal(ingest.status, 200);
    const { id } = (await ingest.json()) as { id: string };
    const raw = await fetch(`${relay.url}/v1/events/${id}/raw`, { headers: relay.auth });
    assert.equal(raw.status, 200);
    assert.equal(await raw.text(), body);
    assert.match(raw.headers.get('content-disposition') ?? '', /^attachment; filename="evt_[A-Za-z0-9]+\.raw"$/);
    assert.equal(raw.headers.get('x-content-type-options'), 'nosniff');
    assert.match(raw.headers.get('content-security-policy') ?? '', /^sandbox(;|$)/);
    assert.match(raw.headers.get('x-hookrelay-content-type') ?? '', /^text\/html/);
  });
});
