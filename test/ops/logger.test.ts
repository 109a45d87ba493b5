import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../../server/ops/logger.ts';

describe('log redaction', () => {
  it('redacts secrets, tokens, API keys and credentials in every shape the relay logs', () => {
    let written = '';
    const destination = new Writable({
      write(chunk, _encoding, done) {
        written += chunk;
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination });
    const source = { name: 'gh', verify: { scheme: 'github', secrets: ['S1-secret'] } };
    logger.info({ source }, 'a source');
    logger.info({ config: { sources: [source], ai: { upstreams: [{ name: 'x', apiKey: 'S2-key' }] } } }, 'the config');
    logger.info({ sources: [source] }, 'sources');
    logger.info({ req: { headers: { authorization: 'Bearer S3-token', cookie: 'S4-cookie' } } }, 'a request');
    logger.info({ token: 'S5-token', secret: 'S6-secret', endpoint: { secret: 'S7-secret' } }, 'flat');
    assert.equal(written.trim().split('\n').length, 5);
    for (const secret of ['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7'])
      assert.ok(!written.includes(secret), `${secret} leaked: ${written}`);
    assert.ok(written.includes('[redacted]'));
    assert.ok(written.includes('"name":"gh"'), 'the rest stays');
  });
});
