import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { loadConfig } from '../config/load.ts';
import type { RelayConfig } from '../config/types.ts';
import { compileWorkflow } from './compile.ts';
import { resolveWorkflowsConfig } from './config.ts';
import { loadPlugins } from './plugin-registry.ts';
import { isWorkflowFile } from './registry.ts';

/** A YAML file with a top-level `steps` list is a workflow (config files have none). */
function looksLikeWorkflow(text: string): boolean {
  try {
    const data = parse(text) as Record<string, unknown> | null;
    return Boolean(data && typeof data === 'object' && 'steps' in data);
  } catch {
    return /^steps\s*:/m.test(text);
  }
}

function configNearby(): RelayConfig | null {
  try {
    const config = loadConfig();
    return config.file ? config : null;
  } catch {
    return null;
  }
}

/**
 * `hookrelay validate` for workflow files: the same checks and messages as the server, with the
 * built-in plugins plus those the config (if one is found) names. Returns null for other files.
 */
export async function validateWorkflowFile(file: string): Promise<string[] | null> {
  if (!isWorkflowFile(file)) return null;
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null || !looksLikeWorkflow(text)) return null;
  const config = configNearby();
  const settings = config ? resolveWorkflowsConfig(config) : null;
  const plugins = await loadPlugins({ specs: settings?.plugins ?? [], baseDir: settings?.baseDir ?? process.cwd() });
  const { problems } = compileWorkflow(file, text, {
    plugins: (name) => plugins.get(name),
    env: settings?.envNames ?? null,
    secrets: settings?.secretNames ?? null,
  });
  return problems.map((p) => `${file}:${p.line}:${p.col}: ${p.message}`);
}
