import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jsonata from 'jsonata';
import { compileJsonata, compileString } from '../../server/workflows/expressions.ts';

// Plain paths (`event.payload.id`) are read without JSONata's evaluator; they must give what JSONata
// gives, normalised the same way (no match is null).

class Point {
  x = 1;
}

const context = {
  event: {
    id: 'evt_1',
    payload: {
      n: 2,
      s: 'text',
      nothing: null,
      flag: false,
      nested: { deep: { v: 'd' } },
      list: [{ name: 'a' }, { name: 'b' }],
      one: [5],
      point: new Point(),
    },
  },
  env: { URL: 'http://example.test/' },
  steps: { a: { output: { body: { title: 'hello' } } } },
};

const PATHS = [
  'event',
  'event.payload',
  'event.payload.n',
  'event.payload.s',
  'event.payload.nothing',
  'event.payload.flag',
  'event.payload.missing',
  'event.payload.missing.deeper',
  'event.payload.nested.deep',
  'event . payload . nested . deep . v',
  'event.payload.s.length',
  'event.payload.nothing.x',
  'event.payload.list',
  'event.payload.list.name',
  'event.payload.one',
  'event.payload.point.x',
  'event.payload.constructor',
  'env.URL',
  'steps.a.output.body.title',
  'nowhere',
  'true',
  'null',
];

async function viaJsonata(path: string): Promise<unknown> {
  const value = await jsonata(path).evaluate(context);
  return value === undefined ? null : Array.isArray(value) ? Array.from(value) : value;
}

describe('expressions: plain paths', () => {
  it('evaluate exactly as JSONata does, for objects, arrays, primitives, misses and inherited names', async () => {
    for (const path of PATHS) {
      assert.deepEqual(await compileJsonata(path)(context), await viaJsonata(path), path);
    }
  });

  it('return the object itself, as JSONata does, and type a whole {{ }} expression', async () => {
    assert.equal(await compileJsonata('event.payload')(context), context.event.payload);
    assert.equal(await compileString('{{ event.payload.n }}')(context), 2);
    assert.equal(await compileString('{{ env.URL }}x/{{ event.payload.n }}')(context), 'http://example.test/x/2');
  });

  it('still report bad syntax at compile time', () => {
    assert.throws(() => compileJsonata('event.'), /bad expression/);
  });
});
