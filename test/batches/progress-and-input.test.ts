import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { throttled } from '../../server/batches/progress.ts';
import { validateInput } from '../../server/batches/validate-input.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

describe('batch.progress throttling', () => {
  it('emits the first change at once and at most one more per interval, carrying the latest counts', () => {
    const clock = new FakeClock(0);
    let emitted = 0;
    const progress = throttled(clock, 1000, () => emitted++);
    progress.changed();
    assert.equal(emitted, 1);
    for (let i = 0; i < 50; i++) progress.changed();
    assert.equal(emitted, 1, 'changes inside the interval wait');
    clock.advance(999);
    assert.equal(emitted, 1);
    clock.advance(1);
    assert.equal(emitted, 2, 'one trailing emit for all of them');
    clock.advance(5000);
    assert.equal(emitted, 2, 'nothing without a change');
  });

  it('flush emits now and cancels the pending trailing emit', () => {
    const clock = new FakeClock(0);
    let emitted = 0;
    const progress = throttled(clock, 1000, () => emitted++);
    progress.changed();
    progress.changed();
    progress.flush();
    assert.equal(emitted, 2);
    clock.advance(2000);
    assert.equal(emitted, 2);
  });
});

describe('batch input validation', () => {
  const line = (over: Record<string, unknown> = {}) =>
    JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [] }, ...over });

  it('accepts chat completion lines and skips blank lines, keeping 1-based line numbers', () => {
    const { lines, errors } = validateInput(`${line()}\n\n${line({ custom_id: 'b' })}\n`, '/v1/chat/completions', 10);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      lines.map((l) => [l.line, l.custom_id, l.model]),
      [
        [1, 'a', 'm'],
        [3, 'b', 'm'],
      ],
    );
  });

  it('refuses streaming lines, a missing model, a wrong method, more lines than allowed and an empty file', () => {
    const text = [
      line({ body: { model: 'm', stream: true } }),
      line({ custom_id: 'b', body: { messages: [] } }),
      line({ custom_id: 'c', method: 'GET' }),
    ].join('\n');
    const { errors } = validateInput(text, '/v1/chat/completions', 10);
    assert.deepEqual(
      errors.map((e) => [e.line, e.code, e.param]),
      [
        [1, 'invalid_request', 'body.stream'],
        [2, 'missing_required_parameter', 'body.model'],
        [3, 'invalid_method', 'method'],
      ],
    );
    const many = validateInput(
      [line(), line({ custom_id: 'b' }), line({ custom_id: 'c' })].join('\n'),
      '/v1/chat/completions',
      2,
    );
    assert.equal(many.errors[0].code, 'too_many_requests');
    assert.equal(validateInput('\n\n', '/v1/chat/completions', 2).errors[0].code, 'empty_file');
  });
});
