import type { RunEvent, RunStatus } from '../../agents/runtime/run-event.js';
import { textOf, type MessageEntity } from '../entities/message.entity.js';
import type { RunEntity } from '../entities/run.entity.js';
import type { ToolCallEntity } from '../entities/tool-call.entity.js';

/**
 * The events of a finished run, rebuilt from what was stored: the answer to a retried request (same
 * Idempotency-Key), so the client gets the result of the first attempt instead of a second run.
 */
export async function* replayRun(
  run: RunEntity,
  message: MessageEntity | null,
  toolCalls: ToolCallEntity[],
): AsyncGenerator<RunEvent> {
  for (const call of toolCalls) {
    yield { type: 'tool_call', id: call.toolUseId, name: call.name, input: call.input };
    yield {
      type: 'tool_result',
      id: call.toolUseId,
      name: call.name,
      input: call.input,
      ...(call.error ? { error: call.error as never } : { result: call.result }),
      duration_ms: call.durationMs,
    };
  }
  const text = message ? textOf(message.content) : '';
  if (text) yield { type: 'text_delta', text };
  yield { type: 'usage', input_tokens: run.usage.input_tokens, output_tokens: run.usage.output_tokens };
  if (run.error) yield { type: 'error', code: run.error.code, message: run.error.message, recoverable: true };
  const status: RunStatus = run.status === 'completed' || run.status === 'cancelled' ? run.status : 'failed';
  yield { type: 'finished', status, stop_reason: run.stopReason };
}
