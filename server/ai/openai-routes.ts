import type { HttpMount } from '../http/mount.ts';
import { RelayError } from '../errors.ts';
import { type ChatCompletionsDeps, chatCompletionsHandler } from './chat-completions.ts';
import type { ModelCatalogue } from './models.ts';
import type { AiQuota } from './quota.ts';
import { principalOf } from '../http/auth.ts';

interface Deps extends ChatCompletionsDeps {
  models: ModelCatalogue;
  quota: AiQuota;
}

/** `GET /v1/models`, `GET /v1/models/:id` and `POST /v1/chat/completions` (OpenAI-compatible). */
export function openaiRoutes({ v1, auth }: HttpMount, deps: Deps): void {
  const ai = auth.require('ai');

  v1.get('/models', ai, async (_req, res) => {
    res.json({ object: 'list', data: await deps.models.list() });
  });

  v1.get('/models/:id', ai, async (req, res) => {
    const id = String(req.params.id);
    const model = await deps.models.get(id);
    if (!model) throw new RelayError('not_found', `No upstream serves the model "${id}".`, { param: 'model' });
    res.json(model);
  });

  const chat = chatCompletionsHandler(deps);
  v1.post('/chat/completions', ai, (req, res) => {
    // A key over its daily or monthly AI tokens is refused here as on /v1/responses.
    deps.quota.check(principalOf(res));
    return chat(req, res);
  });
}
