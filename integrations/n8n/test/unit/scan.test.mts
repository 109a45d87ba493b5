import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { packageDir, pack } from '../build-package.mts';

interface ScanResult {
  passed: boolean;
  message?: string;
  details?: string;
}

describe('the packed tarball', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("holds the built nodes, README and licence only, and passes n8n's community package scanner", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hookrelay-n8n-scan-'));
    dirs.push(dir);
    const tarball = pack(dir);
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n').sort();
    assert.ok(files.includes('package/README.md') && files.includes('package/LICENSE.md'));
    assert.deepEqual(
      files.filter((f) => !/^package\/(dist\/.*\.(js|js\.map|json|svg)|package\.json|README\.md|LICENSE\.md)$/.test(f)),
      [],
    );
    execFileSync('tar', ['xzf', tarball, '-C', dir]);
    // The scanner's own lint of a package's files (what `npx @n8n/scan-community-package` runs on the
    // tarball after fetching it from npm; its provenance check needs the published package).
    const scanner = join(packageDir, 'node_modules/@n8n/scan-community-package/scanner/scanner.mjs');
    const { analyzePackage } = (await import(scanner)) as { analyzePackage(dir: string): Promise<ScanResult> };
    const result = await analyzePackage(join(dir, 'package'));
    assert.equal(result.passed, true, `${result.message}\n${result.details ?? ''}`);
  });
});
