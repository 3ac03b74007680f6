import { readUIMessageStream, type UIMessage, type UIMessageChunk } from 'ai';
import type { RunStreamEvent } from '../../runs/run-stream-event.js';
import { startUiStream, toUiChunks, type UiMessageChunk } from './ui-message-chunks.js';

const RUN = { conversationId: 'c-1', runId: 'r-1', agent: 'assistant', model: 'claude-sonnet-5-5' };

/** Every chunk this adapter makes is one the AI SDK's own type accepts. */
const asSdkChunk = (chunk: UiMessageChunk): UIMessageChunk => chunk;

function chunksOf(events: RunStreamEvent[]): UiMessageChunk[] {
  let [state, chunks] = startUiStream(RUN);
  for (const event of events) {
    const [next, more] = toUiChunks(state, event);
    state = next;
    chunks = [...chunks, ...more];
  }
  return chunks;
}

const usage: RunStreamEvent = { type: 'usage', input_tokens: 12, output_tokens: 5 };
const done: RunStreamEvent = { type: 'run_finished', status: 'completed', stop_reason: 'end_turn' };

describe('run events as UI message stream parts (AI SDK protocol v1)', () => {
  it('a plain answer: start, one step with one text part, finish with the run’s metadata', () => {
    expect(chunksOf([{ type: 'text_delta', text: 'Hel' }, { type: 'text_delta', text: 'lo' }, usage, done])).toEqual([
      {
        type: 'start',
        messageId: 'r-1',
        messageMetadata: { conversation_id: 'c-1', run_id: 'r-1', agent: 'assistant', model: 'claude-sonnet-5-5' },
      },
      { type: 'start-step' },
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'Hel' },
      { type: 'text-delta', id: 'text-0', delta: 'lo' },
      { type: 'text-end', id: 'text-0' },
      { type: 'finish-step' },
      {
        type: 'finish',
        finishReason: 'stop',
        messageMetadata: {
          conversation_id: 'c-1',
          run_id: 'r-1',
          status: 'completed',
          stop_reason: 'end_turn',
          usage: { input_tokens: 12, output_tokens: 5 },
        },
      },
    ]);
  });

  it('a tool turn: text, the call, its output, then the next model call as a new step', () => {
    const chunks = chunksOf([
      { type: 'text_delta', text: 'Let me check.' },
      { type: 'tool_call', id: 't1', name: 'search_documents', input: { query: 'vpn' } },
      { type: 'tool_call', id: 't2', name: 'echo', input: { text: 'x' } },
      { type: 'tool_result', id: 't2', name: 'echo', result: { echo: 'x' }, duration_ms: 1 },
      {
        type: 'tool_result',
        id: 't1',
        name: 'search_documents',
        error: { error: 'Tool search_documents timed out after 30000 ms', code: 'TIMEOUT', recoverable: true },
        duration_ms: 30000,
      },
      { type: 'text_delta', text: 'Found it.' },
      usage,
      done,
    ]);
    expect(chunks.slice(2).map((c) => c.type)).toEqual([
      'text-start',
      'text-delta',
      'text-end',
      'tool-input-available',
      'tool-input-available',
      'tool-output-available',
      'tool-output-error',
      'finish-step',
      'start-step',
      'text-start',
      'text-delta',
      'text-end',
      'finish-step',
      'finish',
    ]);
    expect(chunks[5]).toEqual({
      type: 'tool-input-available',
      toolCallId: 't1',
      toolName: 'search_documents',
      input: { query: 'vpn' },
      dynamic: true,
    });
    expect(chunks[7]).toEqual({
      type: 'tool-output-available',
      toolCallId: 't2',
      output: { echo: 'x' },
      dynamic: true,
    });
    expect(chunks[8]).toEqual({
      type: 'tool-output-error',
      toolCallId: 't1',
      errorText: 'Tool search_documents timed out after 30000 ms',
      dynamic: true,
    });
    // Two text parts, two ids.
    expect(chunks.filter((c) => c.type === 'text-start')).toEqual([
      { type: 'text-start', id: 'text-0' },
      { type: 'text-start', id: 'text-1' },
    ]);
  });

  it('a model turn that starts with a call after tool results opens a new step too', () => {
    const chunks = chunksOf([
      { type: 'tool_call', id: 't1', name: 'echo', input: {} },
      { type: 'tool_result', id: 't1', name: 'echo', result: null, duration_ms: 1 },
      { type: 'tool_call', id: 't2', name: 'echo', input: {} },
      { type: 'tool_result', id: 't2', name: 'echo', result: {}, duration_ms: 1 },
      done,
    ]);
    expect(chunks.slice(2).map((c) => c.type)).toEqual([
      'tool-input-available',
      'tool-output-available',
      'finish-step',
      'start-step',
      'tool-input-available',
      'tool-output-available',
      'finish-step',
      'finish',
    ]);
  });

  it('a failure: the text part closes, an error part, then a finish saying error, with the code in metadata', () => {
    const chunks = chunksOf([
      { type: 'text_delta', text: 'partial' },
      {
        type: 'error',
        code: 'UPSTREAM_OVERLOADED',
        message: 'The model provider is overloaded; try again shortly',
        recoverable: true,
      },
      usage,
      { type: 'run_finished', status: 'failed', stop_reason: 'error' },
    ]);
    expect(chunks.slice(-4)).toEqual([
      { type: 'text-end', id: 'text-0' },
      { type: 'error', errorText: 'The model provider is overloaded; try again shortly' },
      { type: 'finish-step' },
      {
        type: 'finish',
        finishReason: 'error',
        messageMetadata: expect.objectContaining({
          status: 'failed',
          error: {
            code: 'UPSTREAM_OVERLOADED',
            message: 'The model provider is overloaded; try again shortly',
            recoverable: true,
          },
        }),
      },
    ]);
  });

  it.each([
    ['cancelled', 'cancelled', 'other'],
    ['completed', 'max_tokens', 'length'],
    ['completed', 'refusal', 'content-filter'],
  ] as const)('a run %s with stop reason %s finishes with %s', (status, stopReason, finishReason) => {
    expect(chunksOf([{ type: 'run_finished', status, stop_reason: stopReason }]).at(-1)).toMatchObject({
      type: 'finish',
      finishReason,
    });
  });

  it('is what the AI SDK’s client assembles into one assistant message with text and tool parts', async () => {
    const chunks = chunksOf([
      { type: 'text_delta', text: 'Let me check.' },
      { type: 'tool_call', id: 't1', name: 'echo', input: { text: 'x' } },
      { type: 'tool_result', id: 't1', name: 'echo', result: { echo: 'x' }, duration_ms: 1 },
      { type: 'text_delta', text: 'Done.' },
      usage,
      done,
    ]).map(asSdkChunk);
    const stream = new ReadableStream<UIMessageChunk>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
    let message: UIMessage | undefined;
    for await (const m of readUIMessageStream({ stream, terminateOnError: true })) message = m;
    expect(message).toMatchObject({ id: 'r-1', role: 'assistant', metadata: { status: 'completed', run_id: 'r-1' } });
    expect(message!.parts.filter((p) => p.type !== 'step-start')).toEqual([
      expect.objectContaining({ type: 'text', text: 'Let me check.', state: 'done' }),
      expect.objectContaining({
        type: 'dynamic-tool',
        toolName: 'echo',
        toolCallId: 't1',
        state: 'output-available',
        input: { text: 'x' },
        output: { echo: 'x' },
      }),
      expect.objectContaining({ type: 'text', text: 'Done.', state: 'done' }),
    ]);
  });
});
