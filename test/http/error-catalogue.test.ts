import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AI_ERROR_CODES } from '../../server/ai/error-codes.ts';
import { BATCH_ERROR_CODES } from '../../server/batches/error-codes.ts';
import { DELIVERY_ERROR_CODES } from '../../server/delivery/error-codes.ts';
import { RELAY_ERROR_CODES, RelayError, StoreUnavailableError } from '../../server/errors.ts';
import { ERROR_STATUS, toHttpProblem } from '../../server/http/errors.ts';
import { INGEST_ERROR_CODES } from '../../server/ingest/error-codes.ts';
import { KEY_ERROR_CODES } from '../../server/keys/error-codes.ts';
import { LIVE_ERROR_CODES } from '../../server/live/error-codes.ts';
import { SOURCE_ERROR_CODES } from '../../server/sources/error-codes.ts';
import { WORKFLOW_ERROR_CODES } from '../../server/workflows/error-codes.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `| \`code\` | 401 | ...` rows of README's "Error codes" table. */
async function readmeCodes(): Promise<Map<string, number>> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Error codes'));
  assert.ok(section, 'README has an "## Error codes" section');
  const rows = new Map<string, number>();
  for (const match of section.matchAll(/^\|\s*`([a-z0-9_]+)`\s*\|\s*(\d{3})\s*\|/gm)) rows.set(match[1], Number(match[2]));
  return rows;
}

/** Every literal code thrown as `new RelayError('code', ...)` in the server and plugins. */
async function thrownCodes(): Promise<Set<string>> {
  const codes = new Set<string>();
  for (const dir of ['server', 'plugins']) {
    const files = await readdir(join(ROOT, dir), { recursive: true }).catch(() => [] as string[]);
    for (const file of files.filter((f) => f.endsWith('.ts'))) {
      const text = await readFile(join(ROOT, dir, file), 'utf8');
      for (const match of text.matchAll(/new RelayError\(\s*'([a-z0-9_]+)'/g)) codes.add(match[1]);
    }
  }
  return codes;
}

describe('the error-code catalogue', () => {
  it("matches README's error table code for code and status", async () => {
    const documented = await readmeCodes();
    const catalogue = new Map(Object.entries(ERROR_STATUS as Record<string, number>));
    assert.ok(catalogue.size >= 16);
    for (const [code, status] of catalogue) assert.equal(documented.get(code), status, `README row for ${code} (${status})`);
    for (const code of documented.keys())
      assert.ok(catalogue.has(code), `README lists ${code}, which the catalogue does not define`);
  });

  it('holds every code the server throws', async () => {
    const thrown = await thrownCodes();
    assert.ok(thrown.has('signature_invalid') && thrown.has('not_found'), 'the scan finds the core codes');
    for (const code of thrown) assert.ok(code in ERROR_STATUS, `${code} is thrown but not in the catalogue (http/errors.ts)`);
  });

  it("is the subsystems' code lists, each code owned by one of them", () => {
    const lists = [
      RELAY_ERROR_CODES,
      INGEST_ERROR_CODES,
      KEY_ERROR_CODES,
      SOURCE_ERROR_CODES,
      LIVE_ERROR_CODES,
      DELIVERY_ERROR_CODES,
      WORKFLOW_ERROR_CODES,
      AI_ERROR_CODES,
      BATCH_ERROR_CODES,
    ];
    const listed: string[] = lists.flat();
    assert.equal(
      new Set(listed).size,
      listed.length,
      `a code is listed twice: ${listed.filter((c, i) => listed.indexOf(c) !== i)}`,
    );
    assert.deepEqual(new Set(listed), new Set(Object.keys(ERROR_STATUS)));
  });

  it("answers a RelayError with its code's status, and says when a retry would fail the same way", () => {
    assert.equal(toHttpProblem(new RelayError('endpoint_paused', 'Paused.')).status, 409);
    assert.equal(toHttpProblem(new StoreUnavailableError()).status, 503);
    assert.equal(toHttpProblem(new RelayError('endpoint_paused', 'Paused.')).headers, undefined);
    assert.deepEqual(toHttpProblem(new RelayError('batch_not_cancellable', 'Done.').notRetryable()).headers, {
      'x-should-retry': 'false',
    });
    // A code the table lacks is a bug, answered as one.
    assert.equal(toHttpProblem(new RelayError('no_such_code', 'Nobody lists this.')).status, 500);
    assert.equal(toHttpProblem(new RelayError('toString', 'Not a row either.')).status, 500);
  });
});
