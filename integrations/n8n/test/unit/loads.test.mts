import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageDir } from '../build-package.mts';
import { load } from './dist.mts';

const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
  n8n: { n8nNodesApiVersion: number; strict: boolean; nodes: string[]; credentials: string[] };
  keywords: string[];
  dependencies?: Record<string, string>;
  peerDependencies: Record<string, string>;
};

describe('the n8n-nodes-hookrelay package', () => {
  it('is a strict community package with no runtime dependencies and n8n-workflow as a peer', () => {
    assert.equal(manifest.n8n.n8nNodesApiVersion, 1);
    assert.equal(manifest.n8n.strict, true);
    assert.ok(manifest.keywords.includes('n8n-community-node-package'));
    assert.equal(manifest.dependencies, undefined);
    assert.ok(manifest.peerDependencies['n8n-workflow']);
  });

  it('loads every file its n8n field lists, each exporting the class n8n looks for', () => {
    const names: string[] = [];
    for (const file of [...manifest.n8n.nodes, ...manifest.n8n.credentials]) {
      const exported = load<Record<string, new () => { description?: { name: string }; name?: string }>>(
        file.replace(/^dist\//, ''),
      );
      const className = file.split('/').at(-1)?.split('.')[0] as string;
      const instance = new exported[className]();
      names.push(instance.description?.name ?? (instance.name as string));
    }
    assert.deepEqual(names, ['hookrelayTrigger', 'hookrelayPollTrigger', 'hookrelay', 'hookrelayApi']);
  });
});
