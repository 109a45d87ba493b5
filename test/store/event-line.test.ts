import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { bodyOf, encodeEvent, eventOf } from '../../server/store/event-line.ts';
import type { RelayEvent } from '../../server/store/types.ts';

const eventArb = fc.record({
  id: fc.string(),
  source: fc.string(),
  type: fc.string(),
  received_at: fc.string(),
  provider_id: fc.option(fc.string(), { nil: null }),
  headers: fc.dictionary(fc.string(), fc.string()),
  payload: fc.jsonValue(),
  verified: fc.record({ scheme: fc.string() }),
}) as fc.Arbitrary<RelayEvent>;
const bodyArb = fc.record({
  raw: fc.oneof(
    fc.string().map((s) => Buffer.from(s)),
    fc.uint8Array().map((b) => Buffer.from(b)),
  ),
  content_type: fc.string(),
  client_ip: fc.option(fc.string(), { nil: undefined }),
});

test("a line made with the payload's JSON text is the line made by encoding the payload", () => {
  fc.assert(
    fc.property(eventArb, bodyArb, (event, body) => {
      const json = JSON.stringify(event.payload);
      assert.equal(encodeEvent(event, body, json).line, encodeEvent(event, body).line);
    }),
  );
});

test('a payload sent with its own spacing, escapes and number forms reads back as the same event and bytes', () => {
  const texts = [
    ' { "b" : [1, 2.50, -0, 1e3], "a" : "\\u00e9\\u2028", "n": null }\t',
    '{"__proto__":{"x":1},"dup":1,"dup":2,"big":12345678901234567890}',
    '"just a string"',
    '\r[true,false]',
  ];
  for (const text of texts) {
    const event: RelayEvent = {
      id: 'evt_1',
      source: 's',
      type: 't',
      received_at: '2026-01-01T00:00:00.000Z',
      provider_id: null,
      headers: { 'content-type': 'application/json' },
      payload: JSON.parse(text),
      verified: { scheme: 'none' },
    };
    const raw = Buffer.from(text);
    const { line } = encodeEvent(event, { raw, content_type: 'application/json', client_ip: '127.0.0.1' }, text);
    assert.ok(!line.includes('\n'));
    assert.deepEqual(eventOf(line), event, text);
    assert.deepEqual(bodyOf(line), { raw, content_type: 'application/json', client_ip: '127.0.0.1' }, text);
  }
});

test('a payload text with a line break is encoded again, so the line stays one line', () => {
  const text = '{\n  "a": 1\n}\n';
  const event = {
    id: 'evt_2',
    source: 's',
    type: 't',
    received_at: 'x',
    provider_id: null,
    headers: {},
    payload: JSON.parse(text),
    verified: { scheme: 'none' },
  };
  const { line } = encodeEvent(event, { raw: Buffer.from(text), content_type: 'application/json' }, text);
  assert.equal(line.split('\n').length, 1);
  assert.equal(line, encodeEvent(event, { raw: Buffer.from(text), content_type: 'application/json' }).line);
  assert.deepEqual(eventOf(line), event);
});
