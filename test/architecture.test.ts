import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

// The rules of docs/architecture.md, held by a scan of the import statements of every .ts file under
// server/ and plugins/ (tests excluded). Type-only imports count: they tie files together as much as
// any other import does when a file moves or a type changes.

const ROOT = resolve(import.meta.dirname, '..');

/** Folders under server/ that are not domain code: the HTTP edge and the command-line client. */
const EDGE_FOLDERS = ['http', 'cli'];

/**
 * Besides each folder's routes.ts, the files that speak HTTP (or a transport next to it) for their
 * folder: handlers that routes.ts mounts, the SSE and Socket.IO streams, a route guard, and a batch
 * output line, which carries the status the route would have answered.
 */
const HTTP_SIDE = [
  'server/ai/chat-completions.ts',
  'server/ai/input-items.ts',
  'server/ai/openai-routes.ts',
  'server/ai/sse.ts',
  'server/batches/response-line.ts',
  'server/events/activity.ts',
  'server/events/write-route.ts',
  'server/ingest/direct.ts',
  'server/keys/rate-gate.ts',
  'server/live/socketio.ts',
  'server/live/sse.ts',
];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const IMPORT =
  /^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every module a file names in an import or re-export: relative ones resolved to repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2] ?? match[3];
    out.push(spec.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), spec)) : spec);
  }
  return out;
}

const files = [...sourceFiles('server'), ...sourceFiles('plugins')];
const graph = new Map(files.map((file) => [file, importsOf(file)]));

/** Strongly connected components with more than one file (Tarjan), each as a sorted list. */
function cycles(): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  function visit(file: string) {
    indexOf.set(file, index);
    low.set(file, index++);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (!indexOf.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(file, Math.min(low.get(file)!, indexOf.get(next)!));
    }
    if (low.get(file) !== indexOf.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1) found.push(component.sort());
  }
  for (const file of graph.keys()) if (!indexOf.has(file)) visit(file);
  return found;
}

/** One loop through a component, as `a → b → … → a`, so a failure shows the imports to break. */
function loopThrough(component: string[]): string {
  const members = new Set(component);
  const start = component[0];
  const path = [start];
  const seen = new Set([start]);
  function walk(file: string): boolean {
    for (const next of graph.get(file) ?? []) {
      if (next === start) return true;
      if (!members.has(next) || seen.has(next)) continue;
      seen.add(next);
      path.push(next);
      if (walk(next)) return true;
      path.pop();
    }
    return false;
  }
  walk(start);
  const others = component.filter((file) => !path.includes(file));
  return [...path, start].join(' → ') + (others.length ? ` (in one loop with ${others.join(', ')})` : '');
}

function violations(filesIn: string[], refused: (spec: string, file: string) => boolean): string[] {
  return filesIn.flatMap((file) =>
    (graph.get(file) ?? []).filter((spec) => refused(spec, file)).map((spec) => `${file} imports ${spec}`),
  );
}

const isExpress = (spec: string) => spec === 'express' || spec.startsWith('express/');
const isHttpFolder = (spec: string) => spec.startsWith('server/http/');

describe('architecture', () => {
  it('finds imports with the scan this test relies on', () => {
    // A scan that found nothing would pass every rule below.
    assert.ok(graph.get('server/main.ts')?.includes('server/context.ts'));
    assert.ok(graph.get('plugins/deliver/index.ts')?.includes('plugins/sdk.ts'));
  });

  it('has no import cycles in server/ and plugins/', () => {
    const loops = cycles().map(loopThrough);
    assert.deepEqual(loops, []);
  });

  it('keeps Express and server/http/ out of the context and the domain folders', () => {
    const inDomain = files.filter(
      (file) => file === 'server/context.ts' || (/^server\/[^/]+\//.test(file) && !EDGE_FOLDERS.includes(file.split('/')[1])),
    );
    const checked = inDomain.filter((file) => !file.endsWith('/routes.ts') && !HTTP_SIDE.includes(file));
    assert.ok(checked.length > 200);
    // The list of exceptions names files that exist and need it.
    for (const file of HTTP_SIDE)
      assert.ok(
        graph.get(file)?.some((spec) => isExpress(spec) || isHttpFolder(spec)),
        file,
      );
    assert.deepEqual(
      violations(checked, (spec) => isExpress(spec) || isHttpFolder(spec)),
      [],
    );
  });

  it('lets plugins import only plugins/sdk.ts and npm packages', () => {
    const plugins = files.filter((file) => file.startsWith('plugins/') && file !== 'plugins/sdk.ts');
    assert.ok(plugins.includes('plugins/testing.ts'));
    // Anything that resolves to a file of this repository is ours; npm packages and node: modules do not.
    const ours = (spec: string) => existsSync(join(ROOT, spec));
    assert.deepEqual(
      violations(plugins, (spec) => spec !== 'plugins/sdk.ts' && ours(spec)),
      [],
    );
  });

  it("wires every subsystem in its folder's subsystem.ts, its HTTP in that folder's routes.ts", () => {
    const wired = (graph.get('server/subsystems.ts') ?? []).filter((spec) => spec !== 'server/subsystem.ts');
    assert.ok(wired.length >= 10);
    assert.deepEqual(
      wired.filter((spec) => !/^server\/[^/]+\/subsystem\.ts$/.test(spec)),
      [],
    );
    const withRoutes = wired.filter((file) => /\broutes\(/.test(readFileSync(join(ROOT, file), 'utf8')));
    assert.ok(withRoutes.length >= 10);
    const missing = withRoutes
      .map((file) => file.replace(/subsystem\.ts$/, 'routes.ts'))
      .filter((routes) => !files.includes(routes) || !graph.get(routes.replace(/routes\.ts$/, 'subsystem.ts'))?.includes(routes));
    assert.deepEqual(missing, []);
  });

  it('lists every subsystem folder in server/subsystems.ts', () => {
    const folders = files.filter((file) => /^server\/[^/]+\/subsystem\.ts$/.test(file));
    const wired = graph.get('server/subsystems.ts') ?? [];
    assert.deepEqual(
      folders.filter((file) => !wired.includes(file)),
      [],
    );
  });
});
