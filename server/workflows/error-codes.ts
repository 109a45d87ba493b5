/** Codes the workflow routes and run callbacks throw. */
export const WORKFLOW_ERROR_CODES = [
  'workflow_not_found',
  'run_not_found',
  'run_finished',
  'run_not_finished',
  'run_unreachable',
  'callback_not_found',
  'callback_run_finished',
  'callback_already_received',
] as const;

export type WorkflowErrorCode = (typeof WORKFLOW_ERROR_CODES)[number];
