import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { typeMatches } from '../../server/store/match.ts';
import { globMatches, globToLike, isGlob, serverTypeFilter, typeMatcher } from '../../ui/lib/glob.js';

// One table for every place a glob is matched: the server's filters and the console load this same file.
const CASES: Array<[pattern: string, text: string, matches: boolean]> = [
  ['', 'anything', true],
  ['*', '', true],
  ['*', 'push', true],
  ['push', 'push', true],
  ['push', 'pushed', false],
  ['push', 'Push', false],
  ['response.*', 'response.completed', true],
  ['response.*', 'response.', true],
  ['response.*', 'responses.completed', false],
  ['*.completed', 'batch.completed', true],
  ['*.completed', 'completed', false],
  ['invoice.*.paid', 'invoice.card.paid', true],
  ['invoice.*.paid', 'invoice.paid', false],
  ['gpt-4?', 'gpt-4o', true],
  ['gpt-4?', 'gpt-4', false],
  ['gpt-4?', 'gpt-4o-mini', false],
  ['??', 'é🚀', true],
  ['a.b', 'axb', false],
  ['(a)+[b]', '(a)+[b]', true],
  ['a\\*', 'a\\xyz', true],
  ['line*', 'line\nbreak', true],
  ['*', 'multi\nline', true],
  ['a*b*c', 'abc', true],
  ['a*b*c', 'aXbYbZc', true],
  ['a*b*c', 'aXbYc!', false],
  ['*?', '', false],
  ['*?', 'x', true],
  ['?*?', 'xy', true],
  ['a**b', 'ab', true],
];

describe('globs', () => {
  for (const [pattern, text, expected] of CASES) {
    it(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(text)}`, () => {
      assert.equal(globMatches(pattern, text), expected, 'globMatches');
      assert.equal(typeMatches(pattern, text), expected, 'server filters');
      assert.equal(typeMatcher(` ${pattern} `)(text), expected, 'console type box');
    });
  }

  // A backtracking RegExp needs around 5000^10 steps for this (it would never finish); the walk needs
  // at most 22 × 5000.
  it('answers for a pattern that would make a backtracking RegExp run for ever', { timeout: 30_000 }, () => {
    assert.equal(globMatches('*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(5000)), false);
    assert.equal(globMatches('*a*a*a*a*a*a*a*a*a*a*b', `${'a'.repeat(5000)}b`), true);
  });

  it('turns a glob into LIKE with its own %, _ and \\ escaped', () => {
    assert.equal(globToLike('*'), null);
    assert.equal(globToLike(''), null);
    assert.equal(globToLike('response.*'), 'response.%');
    assert.equal(globToLike('gpt-4?'), 'gpt-4_');
    assert.equal(globToLike('100%_done\\*'), '100\\%\\_done\\\\%');
  });

  it('tells globs from names, and lets the relay apply every glob the console is given', () => {
    assert.equal(isGlob('push'), false);
    assert.equal(isGlob('push*'), true);
    assert.equal(isGlob('gpt-4?'), true);
    assert.equal(serverTypeFilter('  *.opened '), '*.opened');
    assert.equal(serverTypeFilter(' * '), undefined);
    assert.equal(serverTypeFilter(''), undefined);
  });
});
