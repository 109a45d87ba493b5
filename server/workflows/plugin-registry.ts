import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Validator } from 'jsonschema';
import { API_VERSION, type StepPlugin } from '../../plugins/sdk.ts';
import { ConfigError } from '../errors.ts';

// Step plugins: the built-ins under plugins/<name>/ plus folders, files or npm packages named in
// `workflows.plugins`. Everything is checked once at start-up; a bad plugin stops the relay with the
// plugin's origin and the fix, never a surprise at the first run.

export const BUILTIN_DIR = fileURLToPath(new URL('../../plugins/', import.meta.url));
const NAME = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/;

export interface PluginRegistry {
  get(name: string): StepPlugin | undefined;
  list(): Array<{ name: string; version: string; origin: string }>;
}

/** The module a folder or package name points at: index.ts / index.js, or a package's own entry. */
function entryOf(spec: string, baseDir: string): string {
  const looksLikePath = spec.startsWith('.') || isAbsolute(spec);
  if (!looksLikePath) return createRequire(join(baseDir, 'noop.js')).resolve(spec);
  const path = resolve(baseDir, spec);
  if (!existsSync(path)) throw new Error(`no such file or folder: ${path}`);
  if (!statSync(path).isDirectory()) return path;
  for (const name of ['index.ts', 'index.js', 'index.mjs']) if (existsSync(join(path, name))) return join(path, name);
  return createRequire(join(path, 'noop.js')).resolve(path);
}

function pluginsIn(module: Record<string, unknown>): unknown[] {
  const found = module.default ?? module.plugins ?? module.plugin;
  return Array.isArray(found) ? found : [found];
}

/** Returns why a value is not a usable step plugin, or null. */
export function pluginProblem(value: unknown): string | null {
  const p = value as Partial<StepPlugin> | null;
  if (!p || typeof p !== 'object') return 'the module does not export a plugin (export default definePlugin({...}))';
  if (typeof p.name !== 'string' || !NAME.test(p.name))
    return `bad name ${JSON.stringify(p.name)}: use lower case words joined by dots`;
  if (typeof p.version !== 'string' || !p.version) return `plugin "${p.name}" has no version string`;
  if (p.apiVersion !== API_VERSION) {
    return `plugin "${p.name}" was written for plugin API version ${String(p.apiVersion)}; this relay supports version ${API_VERSION}`;
  }
  if (typeof p.run !== 'function') return `plugin "${p.name}" has no run(ctx, params) function`;
  if (!p.schema || typeof p.schema !== 'object' || (p.schema as { type?: unknown }).type !== 'object') {
    return `plugin "${p.name}" needs a JSON Schema of type "object" for its with: parameters`;
  }
  try {
    new Validator().validate({}, p.schema as object, { throwError: false });
  } catch (error) {
    return `plugin "${p.name}" has a bad JSON Schema: ${(error as Error).message}`;
  }
  return null;
}

async function importPlugins(entry: string, origin: string, keyPath: string): Promise<StepPlugin[]> {
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(keyPath, `cannot load plugin ${origin}: ${(error as Error).message}`);
  }
  return pluginsIn(module).map((plugin) => {
    const problem = pluginProblem(plugin);
    if (problem) throw new ConfigError(keyPath, `${origin}: ${problem}`);
    return plugin as StepPlugin;
  });
}

export async function loadPlugins(options: {
  specs: readonly string[];
  baseDir: string;
  builtinDir?: string;
}): Promise<PluginRegistry> {
  const byName = new Map<string, { plugin: StepPlugin; origin: string }>();
  const add = (plugin: StepPlugin, origin: string, keyPath: string) => {
    const existing = byName.get(plugin.name);
    if (existing)
      throw new ConfigError(keyPath, `step plugin "${plugin.name}" from ${origin} is already provided by ${existing.origin}`);
    byName.set(plugin.name, { plugin, origin });
  };
  const builtinDir = options.builtinDir ?? BUILTIN_DIR;
  for (const folder of readdirSync(builtinDir).sort()) {
    const entry = join(builtinDir, folder, 'index.ts');
    if (!existsSync(entry)) continue;
    for (const plugin of await importPlugins(entry, `plugins/${folder}`, 'workflows'))
      add(plugin, `plugins/${folder}`, 'workflows');
  }
  for (const [i, spec] of options.specs.entries()) {
    const keyPath = `workflows.plugins[${i}]`;
    let entry: string;
    try {
      entry = entryOf(spec, options.baseDir);
    } catch (error) {
      throw new ConfigError(keyPath, `cannot find plugin "${spec}": ${(error as Error).message}`);
    }
    for (const plugin of await importPlugins(entry, `"${spec}"`, keyPath)) add(plugin, `"${spec}"`, keyPath);
  }
  return {
    get: (name) => byName.get(name)?.plugin,
    list: () => [...byName.values()].map(({ plugin, origin }) => ({ name: plugin.name, version: plugin.version, origin })),
  };
}
