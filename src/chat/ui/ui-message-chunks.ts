import type { RunStreamEvent } from '../../runs/run-stream-event.js';

/**
 * The parts of the Vercel AI SDK's UI message stream protocol (v1) a run is told in: one JSON object per SSE
 * `data:` line. The AI SDK's client checks each against its schema, so every field here is one it knows.
 */
export type UiMessageChunk =
  | { type: 'start'; messageId: string; messageMetadata: UiMessageMetadata }
  | { type: 'start-step' }
  | { type: 'finish-step' }
  | { type: 'text-start'; id: string }
  | { type: 'text-delta'; id: string; delta: string }
  | { type: 'text-end'; id: string }
  | { type: 'tool-input-available'; toolCallId: string; toolName: string; input: unknown; dynamic: true }
  | { type: 'tool-output-available'; toolCallId: string; output: unknown; dynamic: true }
  | { type: 'tool-output-error'; toolCallId: string; errorText: string; dynamic: true }
  | { type: 'error'; errorText: string }
  | { type: 'finish'; finishReason: UiFinishReason; messageMetadata: UiMessageMetadata };

type UiFinishReason = 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'error' | 'other';

/** What a client learns about the run besides its parts: where it lives, and at the end how it went. */
export interface UiMessageMetadata {
  conversation_id: string;
  run_id: string;
  agent?: string;
  model?: string;
  status?: 'completed' | 'cancelled' | 'failed' | 'interrupted';
  stop_reason?: string | null;
  usage?: { input_tokens: number; output_tokens: number };
  error?: { code: string; message: string; recoverable: boolean };
}

/** Where a stream is between two events: the step and text part open, what the finish will report. */
export interface UiStreamState {
  readonly run: { conversationId: string; runId: string };
  /** The open text part's id, if one is open. */
  readonly textId: string | null;
  readonly parts: number;
  /** Tool results came back in this step: the model's next output starts the next step. */
  readonly toolsDone: boolean;
  readonly usage?: UiMessageMetadata['usage'];
  readonly error?: UiMessageMetadata['error'];
}

const FINISH_REASONS: Record<string, UiFinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  refusal: 'content-filter',
};

/** A run's first parts, and the state its events start from. */
export function startUiStream(run: {
  conversationId: string;
  runId: string;
  agent: string;
  model: string;
}): [UiStreamState, UiMessageChunk[]] {
  const ids = { conversation_id: run.conversationId, run_id: run.runId };
  return [
    { run: { conversationId: run.conversationId, runId: run.runId }, textId: null, parts: 0, toolsDone: false },
    [
      { type: 'start', messageId: run.runId, messageMetadata: { ...ids, agent: run.agent, model: run.model } },
      { type: 'start-step' },
    ],
  ];
}

/**
 * The parts one event of a run's log becomes (after `run_started`, which `startUiStream` answers), and the state
 * after it. Pure: the same state and event always give the same parts.
 */
export function toUiChunks(state: UiStreamState, event: RunStreamEvent): [UiStreamState, UiMessageChunk[]] {
  switch (event.type) {
    case 'run_queued':
    case 'run_started':
      return [state, []];
    case 'text_delta': {
      const [next, chunks] = nextStepIfToolsDone(state);
      if (next.textId) return [next, [...chunks, { type: 'text-delta', id: next.textId, delta: event.text }]];
      const id = `text-${next.parts}`;
      return [
        { ...next, textId: id, parts: next.parts + 1 },
        [...chunks, { type: 'text-start', id }, { type: 'text-delta', id, delta: event.text }],
      ];
    }
    case 'tool_call': {
      const [next, chunks] = closeText(...nextStepIfToolsDone(state));
      return [
        next,
        [
          ...chunks,
          {
            type: 'tool-input-available',
            toolCallId: event.id,
            toolName: event.name,
            input: event.input,
            dynamic: true,
          },
        ],
      ];
    }
    case 'tool_result':
      return [
        { ...state, toolsDone: true },
        [
          event.error
            ? { type: 'tool-output-error', toolCallId: event.id, errorText: event.error.error, dynamic: true }
            : { type: 'tool-output-available', toolCallId: event.id, output: event.result ?? null, dynamic: true },
        ],
      ];
    case 'usage':
      return [{ ...state, usage: { input_tokens: event.input_tokens, output_tokens: event.output_tokens } }, []];
    case 'error': {
      const [next, chunks] = closeText(state, []);
      const error = { code: event.code, message: event.message, recoverable: event.recoverable };
      return [{ ...next, error }, [...chunks, { type: 'error', errorText: event.message }]];
    }
    case 'run_finished': {
      const [next, chunks] = closeText(state, []);
      const metadata: UiMessageMetadata = {
        conversation_id: state.run.conversationId,
        run_id: state.run.runId,
        status: event.status,
        stop_reason: event.stop_reason,
        ...(next.usage ? { usage: next.usage } : {}),
        ...(next.error ? { error: next.error } : {}),
      };
      return [
        next,
        [
          ...chunks,
          { type: 'finish-step' },
          { type: 'finish', finishReason: finishReason(event), messageMetadata: metadata },
        ],
      ];
    }
  }
}

function finishReason(event: Extract<RunStreamEvent, { type: 'run_finished' }>): UiFinishReason {
  if (event.status === 'failed') return 'error';
  if (event.status === 'cancelled' || event.status === 'interrupted') return 'other';
  return FINISH_REASONS[event.stop_reason ?? 'end_turn'] ?? 'other';
}

function nextStepIfToolsDone(state: UiStreamState): [UiStreamState, UiMessageChunk[]] {
  if (!state.toolsDone) return [state, []];
  return [{ ...state, toolsDone: false }, [{ type: 'finish-step' }, { type: 'start-step' }]];
}

function closeText(state: UiStreamState, chunks: UiMessageChunk[]): [UiStreamState, UiMessageChunk[]] {
  if (!state.textId) return [state, chunks];
  return [{ ...state, textId: null }, [...chunks, { type: 'text-end', id: state.textId }]];
}
