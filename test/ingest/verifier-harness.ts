import assert from 'node:assert/strict';
import type { Scheme, VerifyConfig } from '../../server/config/types.ts';
import { RelayError } from '../../server/errors.ts';
import { toHttpProblem } from '../../server/http/errors.ts';
import { createVerifier, type Verification } from '../../server/ingest/verifiers/index.ts';

/** A verifier for one source built the way start-up builds it. */
export function verifierFor(scheme: Scheme, options: Partial<VerifyConfig> = {}, insecure = false) {
  const verifier = createVerifier(
    { name: 'test', insecure, verify: { scheme, secrets: [], toleranceSeconds: 300, ...options } },
    0,
  );
  return {
    verify: (headers: Record<string, string>, body: Buffer | string, nowSeconds: number): Verification =>
      verifier.verify({
        headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
        body: Buffer.isBuffer(body) ? body : Buffer.from(body),
        now: nowSeconds * 1000,
      }),
  };
}

/** Asserts that `verify` refuses with the given error code (a RelayError that answers 401). */
export function assertRefused(verify: () => unknown, code: string): void {
  assert.throws(verify, (error: unknown) => {
    assert.ok(error instanceof RelayError, `expected a RelayError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(toHttpProblem(error).status, 401);
    return true;
  });
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
