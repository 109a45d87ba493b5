import { isMap, parseDocument } from 'yaml';
import { loadConfig } from '../config/load.ts';
import type { RelayConfig } from '../config/types.ts';
import { compileWorkflow } from './compile.ts';
import { resolveWorkflowsConfig, WORKFLOW_DEFAULTS } from './config.ts';
import { loadPlugins } from './plugin-registry.ts';
import { readWorkflowText, tooBigMessage } from './read-file.ts';
import { isWorkflowFile } from './registry.ts';

/**
 * A YAML file with a top-level `steps` key is a workflow (config files have none). Read from the
 * syntax tree, without expanding aliases: an alias bomb is still recognised, and reported by compile.
 */
function looksLikeWorkflow(text: string): boolean {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return /^steps\s*:/m.test(text);
  return isMap(doc.contents) && doc.contents.has('steps');
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
  const config = configNearby();
  const settings = config ? resolveWorkflowsConfig(config) : null;
  const maxFileBytes = settings?.maxFileBytes ?? WORKFLOW_DEFAULTS.maxFileBytes;
  const read = await readWorkflowText(file, maxFileBytes).catch(() => null);
  if (read === null) return null;
  if ('tooBig' in read) return [`${file}:1:1: ${tooBigMessage(read.tooBig, maxFileBytes)}`];
  if (!looksLikeWorkflow(read.text)) return null;
  const plugins = await loadPlugins({ specs: settings?.plugins ?? [], baseDir: settings?.baseDir ?? process.cwd() });
  const { problems } = compileWorkflow(file, read.text, {
    plugins: (name) => plugins.get(name),
    env: settings?.envNames ?? null,
    secrets: settings?.secretNames ?? null,
    expressions: settings?.expressions,
  });
  return problems.map((p) => `${file}:${p.line}:${p.col}: ${p.message}`);
}
