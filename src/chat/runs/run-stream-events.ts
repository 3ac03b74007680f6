import type { RunEvent } from '../../agents/runtime/run-event.js';
import type { FinishedRunStatus, RunStreamEvent } from '../../runs/run-stream-event.js';
import { textOf, type MessageEntity } from '../entities/message.entity.js';
import type { RunEntity } from '../entities/run.entity.js';
import type { ToolCallEntity } from '../entities/tool-call.entity.js';

/** What clients see of a runtime event (`finished` becomes `run_finished` once the run's end is saved). */
export function toStreamEvent(event: Exclude<RunEvent, { type: 'finished' }>): RunStreamEvent {
  switch (event.type) {
    case 'text_delta':
      return { type: 'text_delta', text: event.text };
    case 'tool_call':
      return { type: 'tool_call', id: event.id, name: event.name, input: event.input };
    case 'tool_result':
      return {
        type: 'tool_result',
        id: event.id,
        name: event.name,
        ...(event.error ? { error: event.error } : { result: event.result }),
        duration_ms: event.duration_ms,
      };
    case 'usage':
      return { type: 'usage', input_tokens: event.input_tokens, output_tokens: event.output_tokens };
    case 'error':
      return { type: 'error', code: event.code, message: event.message, recoverable: event.recoverable };
  }
}

export function runStarted(run: Pick<RunEntity, 'id' | 'conversationId' | 'agent' | 'model'>): RunStreamEvent {
  return {
    type: 'run_started',
    conversation_id: run.conversationId,
    run_id: run.id,
    agent: run.agent,
    model: run.model,
  };
}

/**
 * A finished run's events rebuilt from what was stored, for a run whose event log is no longer kept: the same
 * answer, but as one text delta after the tool calls, so its ids are not the original ones (which is why only a
 * replay from the start gets it).
 */
export function storedRunEvents(
  run: RunEntity,
  message: MessageEntity | null,
  toolCalls: ToolCallEntity[],
): RunStreamEvent[] {
  const events: RunStreamEvent[] = [runStarted(run)];
  for (const call of toolCalls) {
    events.push({ type: 'tool_call', id: call.toolUseId, name: call.name, input: call.input });
    events.push({
      type: 'tool_result',
      id: call.toolUseId,
      name: call.name,
      ...(call.error ? { error: call.error } : { result: call.result }),
      duration_ms: call.durationMs,
    });
  }
  const text = message ? textOf(message.content) : '';
  if (text) events.push({ type: 'text_delta', text });
  events.push({ type: 'usage', input_tokens: run.usage.input_tokens, output_tokens: run.usage.output_tokens });
  if (run.error) events.push({ type: 'error', code: run.error.code, message: run.error.message, recoverable: true });
  const status: FinishedRunStatus =
    run.status === 'queued' || run.status === 'running' || run.status === 'waiting' ? 'interrupted' : run.status;
  events.push({ type: 'run_finished', status, stop_reason: run.stopReason });
  return events;
}
