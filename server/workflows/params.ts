import type { CompiledStep } from './definition.ts';

/** `with` evaluated against the context; deferred fields handed over as functions. */
export async function evaluateParams(step: CompiledStep, context: Record<string, unknown>): Promise<Record<string, unknown>> {
  const params = (await step.params(context)) as Record<string, unknown>;
  for (const [key, evaluate] of Object.entries(step.deferred))
    params[key] = (extra?: object) => evaluate({ ...context, ...extra });
  return params;
}
