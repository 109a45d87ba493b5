import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { safeEqual, sameSignature } from '../server/crypto.ts';

const signature = createHmac('sha256', 'key').update('body').digest('base64');

test('sameSignature accepts exactly the expected signature', () => {
  assert.equal(sameSignature(signature, signature), true);
});

test('sameSignature refuses a signature that differs in one character, in length, or only by its encoding', () => {
  const last = signature.at(-2) === 'A' ? 'B' : 'A';
  assert.equal(sameSignature(`${signature.slice(0, -2)}${last}=`, signature), false);
  assert.equal(sameSignature(signature.slice(0, -1), signature), false);
  assert.equal(sameSignature(`${signature}=`, signature), false);
  assert.equal(sameSignature('', signature), false);
  // Same length in UTF-16 units, but not the same bytes: a lookalike character is not its ASCII twin.
  assert.equal(sameSignature(`\u0141${signature.slice(1)}`, `A${signature.slice(1)}`), false);
  assert.equal(sameSignature(`\u0141${signature.slice(1)}`, signature), false);
});

test('safeEqual and sameSignature agree on equal and unequal strings', () => {
  for (const [a, b] of [
    [signature, signature],
    [signature, signature.toLowerCase()],
    ['abc', 'abd'],
    ['abc', 'abcd'],
  ]) {
    assert.equal(sameSignature(a, b), safeEqual(a, b), `${a} vs ${b}`);
  }
});
