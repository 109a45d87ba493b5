import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ERROR_STATUS } from '../../server/http/errors.ts';

/**
 * One seed for every property, printed by each suite: a failure reproduces with FUZZ_SEED=<seed>
 * (fast-check also prints the counterexample and its path). FUZZ_RUNS scales every run count.
 */
export const SEED = Number(process.env.FUZZ_SEED ?? 20_141_207);
const SCALE = Number(process.env.FUZZ_RUNS ?? 1);

export const runs = (numRuns: number) => ({ seed: SEED, numRuns: Math.max(1, Math.round(numRuns * SCALE)) });

/** What every answer must be: a success, or a 4xx whose body is `{error: {code, message}}` with the catalogue's status. */
export async function assertCodedOrOk(res: Response, what: string): Promise<void> {
  const text = await res.text();
  if (res.status < 400) return;
  assert.ok(res.status < 500, `${what} answered ${res.status}: ${text.slice(0, 300)}`);
  const { error } = JSON.parse(text) as { error: { code: string; message: string } };
  assert.equal(typeof error.message, 'string', `${what}: ${text.slice(0, 300)}`);
  const status = (ERROR_STATUS as Record<string, number>)[error.code];
  assert.equal(status, res.status, `${what}: code ${error.code} is in the catalogue with this status`);
}

const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });
const jsonChars = fc.string({
  unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', ':', ',', '1', 'a', ' ', '\n'),
  maxLength: 600,
});

/** Arrays or objects nested `levels` deep, as text (deep nesting once overflowed the stack). */
export const deepJson = fc
  .tuple(fc.integer({ min: 100, max: 20_000 }), fc.boolean())
  .map(([levels, arrays]) =>
    arrays ? `${'['.repeat(levels)}${']'.repeat(levels)}` : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`,
  );

export const body = fc.oneof(
  fc.json({ maxDepth: 6 }),
  deepJson,
  jsonChars,
  fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.integer({ min: 60_000, max: 70_000 }).map((n) => 'x'.repeat(n)),
);

export const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/vnd.example+json; charset=utf-8',
    'text/plain',
    'text/html',
    'application/x-www-form-urlencoded',
    'application/octet-stream',
    'application/json; charset=latin1',
    'multipart/form-data; boundary=x',
  ),
  printable,
);

/** Header names and values a client can send (fetch refuses control characters and a few names). */
export const extraHeaders = fc.dictionary(
  fc.stringMatching(/^x-[a-z0-9-]{1,20}$/),
  fc.string({ unit: fc.constantFrom(...'abcXYZ019 -_=;,./:"\'%&*()[]{}'.split('')), maxLength: 60 }),
  { maxKeys: 6 },
);

const QUERY_NAMES = ['limit', 'after', 'before', 'source', 'type', 'status', 'tail', 'workflow', 'purpose', 'order', 'since'];
const queryValue = fc.oneof(
  fc.constantFrom('', '0', '-1', '1', '1000', '1001', '1e309', 'NaN', 'true', 'false', '0x10', '99999999999999999999'),
  fc.constantFrom('evt_0', 'run_0', 'resp_0', 'batch_0', 'file_0', 'running', 'succeeded', 'batch'),
  printable,
  fc.string({ unit: 'binary', maxLength: 20 }),
);
/** A query string: known and unknown names, repeated names, odd values, raw `%` escapes now and then. */
export const queryString = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_NAMES), printable), queryValue, fc.boolean()), { maxLength: 6 })
  .map((pairs) =>
    pairs
      .map(
        ([name, value, raw]) => `${encodeURIComponent(name)}=${raw ? value.replace(/[^%\w.-]/g, '') : encodeURIComponent(value)}`,
      )
      .join('&'),
  );
