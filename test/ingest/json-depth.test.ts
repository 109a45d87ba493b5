import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signHeaders } from '../../server/ingest/signers.ts';
import { exceedsJsonDepth } from '../../server/json-depth.ts';
import { validateInput } from '../../server/batches/validate-input.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';

// Issue 14, item 5: valid JSON nested very deeply once answered 500 (JSON.stringify overflowed the stack).

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const source = { name: 'sw', verify: { scheme: 'standard-webhooks' as const, secrets: [SECRET] } };
const arrays = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const objects = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;

describe('limits.jsonDepth', () => {
  let relay: TestRelay;
  before(async () => {
    relay = await startRelay({ driver: 'memory', sources: [source] });
  });
  after(() => relay.stop());

  let n = 0;
  async function ingest(body: string) {
    const headers = signHeaders({ verify: source.verify, secret: SECRET, body, id: `msg_${++n}` });
    const res = await fetch(`${relay.url}/hooks/sw`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    });
    return { status: res.status, body: (await res.json()) as { id?: string; error?: { code: string; message: string } } };
  }
  const stored = () => relay.relay.ctx.storage.events.count();

  it('refuses 200,000 levels (under the body limit) with 400 json_too_deep, logs it, stores nothing and stays up', async () => {
    const body = arrays(200_000);
    assert.ok(body.length < relay.relay.ctx.config.limits.bodyBytes);
    const before = await stored();
    const answer = await ingest(body);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error?.code, 'json_too_deep');
    assert.match(answer.body.error?.message ?? '', /256 levels/);
    assert.equal(await stored(), before);
    const logged = await waitFor('the refusal in /v1/rejections', async () => {
      const list = (await (await fetch(`${relay.url}/v1/rejections?source=sw`, { headers: relay.auth })).json()) as {
        data: Array<{ code: string; status: number }>;
      };
      return list.data.find((r) => r.code === 'json_too_deep');
    });
    assert.equal(logged.status, 400);
    assert.equal((await fetch(`${relay.url}/healthz`)).status, 200);
  });

  it('takes exactly 256 levels of objects and refuses 257', async () => {
    const taken = await ingest(objects(256));
    assert.equal(taken.status, 200, JSON.stringify(taken.body));
    const event = (await (await fetch(`${relay.url}/v1/events/${taken.body.id}`, { headers: relay.auth })).json()) as {
      payload: unknown;
    };
    assert.deepEqual(event.payload, JSON.parse(objects(256)));
    assert.equal((await ingest(objects(257))).body.error?.code, 'json_too_deep');
  });

  it('does not count brackets inside strings, escaped quotes included', async () => {
    const body = JSON.stringify({ text: `\\"${'['.repeat(5000)}`, more: `"{{{${'{'.repeat(5000)}` });
    assert.equal((await ingest(body)).status, 200);
  });

  it('applies to JSON bodies on /v1 as well', async () => {
    const res = await fetch(`${relay.url}/v1/endpoints`, {
      method: 'POST',
      headers: { ...relay.auth, 'content-type': 'application/json' },
      body: `{"url":"http://127.0.0.1:9/x","metadata":${objects(300)}}`,
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'json_too_deep');
  });

  it('refuses a batch input line nested past the limit, naming the line', () => {
    const good = JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/responses', body: { model: 'm' } });
    const deep = `{"custom_id":"b","method":"POST","url":"/v1/responses","body":{"model":"m","x":${arrays(300)}}}`;
    const { lines, errors } = validateInput(`${good}\n${deep}\n`, '/v1/responses', 10, 256);
    assert.equal(lines.length, 1);
    assert.deepEqual(
      errors.map((e) => [e.code, e.line]),
      [['json_too_deep', 2]],
    );
  });
});

describe('the depth scan', () => {
  it('counts nesting of arrays and objects, not their number', () => {
    assert.equal(exceedsJsonDepth(Buffer.from(`[${'[],'.repeat(1000)}[]]`), 8), false);
    assert.equal(exceedsJsonDepth(Buffer.from(arrays(9)), 8), true);
    assert.equal(exceedsJsonDepth(Buffer.from(arrays(8).padEnd(40)), 8), false);
  });

  it('ends a string only at a quote not escaped, and gives up on text that never closes its string', () => {
    assert.equal(exceedsJsonDepth(Buffer.from(`["\\\\"${'['.repeat(20)}`), 8), true);
    assert.equal(exceedsJsonDepth(Buffer.from(`["\\"${'['.repeat(20)}"]`), 8), false);
    assert.equal(exceedsJsonDepth(Buffer.from(`"${'['.repeat(20)}`), 8), false);
  });
});
