import { Logger } from '@nestjs/common';
import type { Response } from 'express';
import type { LoggedRunEvent } from '../../runs/run-stream-event.js';
import { startUiStream, toUiChunks, type UiMessageChunk, type UiStreamState } from './ui-message-chunks.js';

/** The AI SDK's UI message stream headers (its `UI_MESSAGE_STREAM_HEADERS`). */
export const UI_MESSAGE_STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Vercel-AI-UI-Message-Stream': 'v1',
  // nginx and similar proxies buffer responses unless told not to.
  'X-Accel-Buffering': 'no',
};

const logger = new Logger('ChatUi');

/**
 * Streams a run's events (its log, from the first) as the UI message stream protocol (v1): one `data: {part}`
 * frame per part, `: ping` comments while idle, `data: [DONE]` last. The route handler returns once the stream is
 * under way. `onClientGone` is called when the client leaves before the run finished; `abort` stops following.
 */
export function streamUiMessages(
  res: Response,
  events: AsyncIterable<LoggedRunEvent>,
  options: { pingMs: number; abort: AbortController; onClientGone?: () => void },
): void {
  res.writeHead(200, UI_MESSAGE_STREAM_HEADERS);
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  let finished = false;
  const ping = setInterval(() => {
    if (isOpen(res)) res.write(': ping\n\n');
  }, options.pingMs);
  ping.unref();
  const onClose = () => {
    clearInterval(ping);
    options.abort.abort();
    if (!finished) options.onClientGone?.();
  };
  // The client may have left while the run was being stored; then 'close' has already fired.
  if (res.destroyed) onClose();
  else res.on('close', onClose);
  void (async () => {
    try {
      let state: UiStreamState | undefined;
      for await (const { event } of events) {
        let chunks: UiMessageChunk[] = [];
        if (event.type === 'run_started') {
          [state, chunks] = startUiStream({
            conversationId: event.conversation_id,
            runId: event.run_id,
            agent: event.agent,
            model: event.model,
          });
        } else if (state) {
          [state, chunks] = toUiChunks(state, event);
        }
        for (const chunk of chunks) write(res, chunk);
        if (chunks.length) ping.refresh();
        if (event.type === 'run_finished') finished = true;
      }
    } catch (err) {
      logger.error({ msg: 'ui message stream failed', error: err instanceof Error ? err.stack : String(err) });
      write(res, { type: 'error', errorText: 'Internal server error' });
    } finally {
      clearInterval(ping);
      end(res);
    }
  })();
}

function isOpen(res: Response): boolean {
  return !res.writableEnded && !res.destroyed;
}

function write(res: Response, chunk: UiMessageChunk): void {
  if (isOpen(res)) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
}

function end(res: Response): void {
  if (!isOpen(res)) return;
  res.write('data: [DONE]\n\n');
  res.end();
}
