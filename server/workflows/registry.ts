import { type FSWatcher, watch } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CompileOptions, compileWorkflow, type Problem } from './compile.ts';
import type { Workflow } from './definition.ts';

// The one source of truth for which workflows exist and what they listen to: the workflows folder as
// last read. A file that becomes invalid keeps serving its last good version, with its problems shown
// next to it (in the API and the console) until it is fixed.

export interface WorkflowFileState {
  file: string;
  /** The workflow currently in force from this file (the last good version), if any. */
  workflow: Workflow | null;
  problems: Problem[];
  loadedAt: string;
}

const MISSING_CALL = 'workflow.call: no workflow named';

export const isWorkflowFile = (name: string) => /\.ya?ml$/i.test(name);

export class WorkflowRegistry {
  readonly #dir: string;
  readonly #options: CompileOptions;
  readonly #files = new Map<string, WorkflowFileState>();
  /** `active()` is asked for every stored event: kept until the files change. */
  #active: Workflow[] | null = null;
  readonly #onError: (error: unknown) => void;
  #watcher: FSWatcher | null = null;
  #debounce: NodeJS.Timeout | null = null;
  #reloading: Promise<void> = Promise.resolve();

  constructor(dir: string, options: CompileOptions, onError: (error: unknown) => void) {
    this.#dir = dir;
    this.#options = options;
    this.#onError = onError;
  }

  get dir(): string {
    return this.#dir;
  }

  /** Workflows in force, by name. */
  active(): Workflow[] {
    this.#active ??= [...this.#files.values()].flatMap((f) => (f.workflow ? [f.workflow] : []));
    return this.#active;
  }

  get(name: string): Workflow | undefined {
    return this.active().find((w) => w.name === name);
  }

  files(): WorkflowFileState[] {
    return [...this.#files.values()].sort((a, b) => a.file.localeCompare(b.file));
  }

  /** Re-reads the folder; serialised so overlapping reloads cannot interleave. */
  reload(): Promise<void> {
    this.#reloading = this.#reloading.then(() => this.#read()).catch(this.#onError);
    return this.#reloading;
  }

  async #read(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.#dir)).filter(isWorkflowFile).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      names = [];
    }
    for (const file of this.#files.keys()) if (!names.includes(file)) this.#files.delete(file);
    this.#active = null;
    for (const file of names) {
      const text = await readFile(join(this.#dir, file), 'utf8').catch(() => null);
      if (text === null) continue;
      this.#apply(file, text);
    }
    this.#checkCalls();
  }

  /**
   * `workflow.call` steps naming no loaded workflow: reported on their file (which stays in force: the
   * call fails at run time with the same message until the named workflow exists).
   */
  #checkCalls(): void {
    const names = new Set(this.active().map((w) => w.name));
    for (const state of this.#files.values()) {
      const own = state.problems.filter((p) => !p.message.startsWith(MISSING_CALL));
      const calls = own.length === 0 ? (state.workflow?.calls ?? []) : [];
      const missing = calls.filter((call) => !names.has(call.workflow));
      state.problems = [
        ...own,
        ...missing.map(({ line, col, workflow }) => ({ line, col, message: `${MISSING_CALL} "${workflow}" is loaded` })),
      ];
    }
  }

  #apply(file: string, text: string): void {
    const previous = this.#files.get(file);
    if (previous?.workflow?.text === text && previous.problems.length === 0) return;
    // Only a missing workflow.call target was wrong: the text is still good.
    if (previous?.workflow?.text === text && previous.problems.every((p) => p.message.startsWith(MISSING_CALL))) return;
    const { workflow, problems } = compileWorkflow(file, text, this.#options);
    const clash = workflow && this.active().find((w) => w.name === workflow.name && w.file !== file);
    if (clash) problems.push({ line: 1, col: 1, message: `workflow name "${workflow.name}" is already used by ${clash.file}` });
    const good = problems.length === 0 ? workflow : (previous?.workflow ?? null);
    this.#files.set(file, { file, workflow: good, problems, loadedAt: new Date().toISOString() });
    this.#active = null;
  }

  /** Reloads shortly after the folder changes (editors write files in several steps). */
  watch(debounceMs = 100): void {
    if (this.#watcher) return;
    try {
      this.#watcher = watch(this.#dir, () => {
        if (this.#debounce) clearTimeout(this.#debounce);
        this.#debounce = setTimeout(() => void this.reload(), debounceMs);
        this.#debounce.unref();
      });
      this.#watcher.on('error', this.#onError);
    } catch (error) {
      // A missing folder is fine: POST /v1/workflows/reload picks it up once it exists.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = null;
    if (this.#debounce) clearTimeout(this.#debounce);
  }
}
