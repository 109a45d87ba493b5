import { type FSWatcher, watch } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { type CompileOptions, compileChecked, type Problem } from './compile.ts';
import type { Workflow } from './definition.ts';
import type { WorkflowChecker } from './checker.ts';
import { EXPRESSION_DEFAULTS } from './expression-limits.ts';
import { readWorkflowText, tooBigMessage } from './read-file.ts';

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

export interface RegistryOptions {
  dir: string;
  compile: CompileOptions;
  /** Runs every check on a file's text before the relay builds its workflow (a worker thread, in the relay). */
  checker: WorkflowChecker;
  /** Larger files are reported and not read (workflows.maxFileBytes). */
  maxFileBytes: number;
  /** The folder could not be read at all. */
  onError(error: unknown): void;
  /** A file's problems changed to this non-empty list (each file reports its own; others load on). */
  onProblems(file: string, problems: Problem[]): void;
}

export class WorkflowRegistry {
  readonly #dir: string;
  readonly #options: RegistryOptions;
  readonly #files = new Map<string, WorkflowFileState>();
  /** `active()` is asked for every stored event: kept until the files change. */
  #active: Workflow[] | null = null;
  readonly #onError: (error: unknown) => void;
  #watcher: FSWatcher | null = null;
  #debounce: NodeJS.Timeout | null = null;
  #reloading: Promise<void> = Promise.resolve();

  constructor(options: RegistryOptions) {
    this.#dir = options.dir;
    this.#options = options;
    this.#onError = options.onError;
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
      // One file per turn of the event loop: requests are answered between files, and whatever one
      // file does (too big, an alias bomb, a bug) is reported against it alone while the rest load.
      await nextTurn();
      try {
        const read = await readWorkflowText(join(this.#dir, file), this.#options.maxFileBytes);
        if (read === null) continue;
        if ('tooBig' in read) this.#settle(file, null, [atStart(tooBigMessage(read.tooBig, this.#options.maxFileBytes))]);
        else await this.#apply(file, read.text);
      } catch (error) {
        this.#settle(file, null, [atStart(`could not load the file: ${(error as Error).message}`)]);
      }
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

  async #apply(file: string, text: string): Promise<void> {
    const previous = this.#files.get(file);
    if (previous?.workflow?.text === text && previous.problems.length === 0) return;
    // Only a missing workflow.call target was wrong: the text is still good.
    if (previous?.workflow?.text === text && previous.problems.every((p) => p.message.startsWith(MISSING_CALL))) return;
    const checked = await this.#options.checker.check(file, text);
    if (checked.problems.length > 0) return this.#settle(file, null, checked.problems);
    // Checked off the event loop: here the workflow is only built from the checked data (no YAML
    // parse), and its expressions are parsed on first use.
    const expressions = { ...(this.#options.compile.expressions ?? EXPRESSION_DEFAULTS), lazy: true };
    const { workflow, problems } = compileChecked(file, text, checked.data, { ...this.#options.compile, expressions });
    // Positions of workflow.call targets come from the check (the data carries none).
    if (workflow && checked.calls) workflow.calls = checked.calls;
    const clash = workflow && this.active().find((w) => w.name === workflow.name && w.file !== file);
    if (clash) problems.push({ line: 1, col: 1, message: `workflow name "${workflow.name}" is already used by ${clash.file}` });
    this.#settle(file, workflow, problems);
  }

  /** Records a file's outcome: a workflow with problems keeps the last good version in force. */
  #settle(file: string, workflow: Workflow | null, problems: Problem[]): void {
    const previous = this.#files.get(file);
    const good = problems.length === 0 ? workflow : (previous?.workflow ?? null);
    this.#files.set(file, { file, workflow: good, problems, loadedAt: new Date().toISOString() });
    this.#active = null;
    const same = previous && JSON.stringify(previous.problems) === JSON.stringify(problems);
    if (problems.length > 0 && !same) this.#options.onProblems(file, problems);
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

const atStart = (message: string): Problem => ({ line: 1, col: 1, message });
