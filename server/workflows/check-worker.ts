import { parentPort, workerData } from 'node:worker_threads';
import type { CheckAnswer, CheckerSetup, CheckRequest } from './checker.ts';
import { compileWorkflow } from './compile.ts';
import { loadPlugins } from './plugin-registry.ts';

// The worker thread behind workerChecker: compiles workflow files as the relay would and answers
// with their problems. Messages that arrive while the plugins load wait in the port's queue.

const setup = workerData as CheckerSetup;
const plugins = await loadPlugins({ specs: setup.plugins, baseDir: setup.baseDir });

parentPort?.on('message', ({ id, file, text }: CheckRequest) => {
  let answer: CheckAnswer;
  try {
    const options = {
      plugins: (name: string) => plugins.get(name),
      env: setup.env,
      secrets: setup.secrets,
      expressions: setup.expressions,
    };
    const { problems, data, workflow } = compileWorkflow(file, text, options);
    answer = { id, problems, data, calls: workflow?.calls };
  } catch (error) {
    answer = { id, problems: [{ line: 1, col: 1, message: `the file could not be checked: ${(error as Error).message}` }] };
  }
  parentPort?.postMessage(answer);
});
