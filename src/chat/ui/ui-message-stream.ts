import { Logger } from '@nestjs/common';
import type { Response } from 'express';
import type { StartedRun } from '../chat.service.js';
import { startUiStream, toUiChunks, type UiMessageChunk } from './ui-message-chunks.js';

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
 * Streams a run as the UI message stream protocol (v1): one `data: {part}` frame per part, `: ping` comments while
 * idle, `data: [DONE]` last. The route handler returns once the stream is under way; a client that goes away
 * aborts the run, which still saves what it has.
 */
export function startUiMessageStream(run: StartedRun, res: Response, pingMs: number): void {
  streamUiMessages(run, res, pingMs).catch((err: unknown) => {
    logger.error({
      msg: 'ui message stream failed',
      run_id: run.runId,
      error: err instanceof Error ? err.stack : String(err),
    });
    write(res, { type: 'error', errorText: 'Internal server error' });
    end(res);
  });
}

async function streamUiMessages(run: StartedRun, res: Response, pingMs: number): Promise<void> {
  res.writeHead(200, UI_MESSAGE_STREAM_HEADERS);
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  const ping = setInterval(() => {
    if (isOpen(res)) res.write(': ping\n\n');
  }, pingMs);
  ping.unref();
  const onClose = () => {
    clearInterval(ping);
    if (!res.writableFinished) run.abort('client_disconnected');
  };
  // The client may have left while the run was being stored; then 'close' has already fired.
  if (res.destroyed) onClose();
  else res.on('close', onClose);
  try {
    let [state, chunks] = startUiStream(run);
    for (const chunk of chunks) write(res, chunk);
    for await (const event of run.events) {
      [state, chunks] = toUiChunks(state, event);
      for (const chunk of chunks) write(res, chunk);
      if (chunks.length) ping.refresh();
    }
  } finally {
    clearInterval(ping);
  }
  end(res);
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
