import { RelayError } from '../errors.ts';
import { type ChatMessage, type ChatOptions, conversationOf, outputMessages } from './chat-request.ts';
import { isTerminal, type Response } from './response-object.ts';
import type { ResponseRow } from './response-store.ts';

/**
 * The turns up to and including a stored response (`previous_response_id`): its conversation without
 * its instructions (OpenAI does not carry them over) and its output, tool calls included.
 */
export function turnsThrough(previousId: string, previous: ResponseRow | undefined): ChatMessage[] {
  if (!previous) throw previousNotFound(previousId);
  if (!isTerminal(previous.response.status)) {
    throw new RelayError('invalid_request', `Previous response "${previousId}" has not finished yet.`, {
      param: 'previous_response_id',
    });
  }
  return [...conversationOf(previous.messages, previous.response.instructions), ...outputMessages(previous.response.output)];
}

/** An unknown previous response, or one another key owns: the same answer, so ids reveal nothing. */
export function previousNotFound(previousId: string): RelayError {
  return new RelayError('previous_response_not_found', `Previous response with id "${previousId}" not found.`, {
    param: 'previous_response_id',
  });
}

/** Rows stored before chat options were kept: what those versions sent. */
export function legacyChatOptions(response: Response): ChatOptions {
  return {
    ...(typeof response.max_output_tokens === 'number' && { max_tokens: response.max_output_tokens }),
    ...(response.temperature !== null && { temperature: response.temperature }),
  };
}
