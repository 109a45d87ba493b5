import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// Domain code says what went wrong with a code; only server/http/errors.ts turns that into a status.

const SERVER = fileURLToPath(new URL('../../server/', import.meta.url));

/** The argument list of every `new RelayError(` / `new StoreUnavailableError(` call, top-level commas split. */
function errorConstructions(text: string): string[][] {
  const calls: string[][] = [];
  for (const match of text.matchAll(/new (?:RelayError|StoreUnavailableError)\(/g)) {
    const args: string[] = [];
    let depth = 0;
    let start = match.index + match[0].length;
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (c === "'" || c === '"' || c === '`') {
        i = text.indexOf(c, i + 1);
        while (text[i - 1] === '\\') i = text.indexOf(c, i + 1);
      } else if (c === '/' && text[i + 1] === '/') i = text.indexOf('\n', i);
      else if ('([{'.includes(c)) depth++;
      else if (')]}'.includes(c) && depth > 0) depth--;
      else if ((c === ',' || c === ')') && depth === 0) {
        args.push(text.slice(start, i).trim());
        start = i + 1;
        if (c === ')') break;
      }
    }
    calls.push(args.filter((a) => a !== ''));
  }
  return calls;
}

/** An argument that is an HTTP status: a number from 100 to 599, or an object with a `status` key. */
const statusLike = (arg: string) => /^[1-5]\d\d$/.test(arg) || /^\{[\s\S]*\bstatus\s*:/.test(arg);

describe('domain errors carry codes, not HTTP statuses', () => {
  const domain = new Map<string, string>();
  before(async () => {
    for (const file of await readdir(SERVER, { recursive: true })) {
      if (!file.endsWith('.ts') || file.startsWith('http/')) continue;
      domain.set(file, await readFile(join(SERVER, file), 'utf8'));
    }
  });

  it('finds a status argument when there is one', () => {
    assert.deepEqual(
      errorConstructions("throw new RelayError('conflict', `a, (b)`, 409);").map((a) => a.some(statusLike)),
      [true],
    );
    assert.equal(statusLike("{ param: 'x', status: 404 }"), true);
    assert.equal(statusLike("{ param: 'x' }"), false);
  });

  it('builds no error with an HTTP status outside server/http/', () => {
    let constructions = 0;
    for (const [file, text] of domain) {
      assert.doesNotMatch(text, /\bHttpError\b|\bERROR_STATUS\b/, `${file} picks an HTTP status; throw a RelayError`);
      for (const args of errorConstructions(text)) {
        constructions++;
        assert.ok(args.length <= 3, `${file}: new RelayError(${args.join(', ')}) takes (code, message, details?)`);
        assert.ok(!args.some(statusLike), `${file}: new RelayError(${args.join(', ')}) carries a status`);
      }
    }
    assert.ok(constructions > 100, `the scan saw ${constructions} error constructions`);
  });
});
