import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/hookrelay.js', import.meta.url));

export interface ChildRelay {
  child: ChildProcess;
  url: string;
  /** Every log line printed so far (parsed JSON). */
  logs: Array<Record<string, unknown>>;
  /** Everything printed so far on stdout and stderr, as text. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `hookrelay start` in a child process (for kill -9 and signal tests), with a config file written
 * into the data dir. Resolves once the relay logs that it is listening.
 */
export async function spawnRelay(options: {
  dataDir: string;
  configYaml: string;
  env?: Record<string, string>;
  adminToken?: string;
  /** Node flags before the launcher (e.g. `--heap-growing-percent=0`, which NODE_OPTIONS cannot carry). */
  nodeArgs?: string[];
}): Promise<ChildRelay> {
  const configFile = join(options.dataDir, 'hookrelay.yaml');
  await writeFile(configFile, options.configYaml);
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), BIN, 'start', '--config', configFile, '--port', '0', '--data-dir', options.dataDir],
    {
      env: {
        ...process.env,
        HOOKRELAY_ADMIN_TOKEN: options.adminToken ?? 'test-admin-token',
        HOOKRELAY_LOG_LEVEL: 'info',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  let stdout = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'hookrelay is listening') resolve(String(entry.url));
      } catch {
        // not a log line
      }
    });
    exited.then(({ code }) => reject(new Error(`relay exited with ${code} before listening: ${stderr}`)));
  });
  return { child, url, logs, exited, output: () => stdout + stderr };
}
