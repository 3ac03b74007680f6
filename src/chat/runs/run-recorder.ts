import { Logger } from '@nestjs/common';
import type { RunEvent, RunStatus } from '../../agents/runtime/run-event.js';
import type { ChatRepository } from '../chat.repository.js';

const FLUSH_EVERY_MS = 250;

/**
 * Persists one run while it streams: the assistant text is saved in batches (at most every 250 ms, one write
 * in flight) so a crash or cancel keeps the prefix; tool calls are saved as they finish; `finish` writes the
 * final text and statuses once every earlier write has landed. Database errors are logged, never thrown into
 * the stream.
 */
export class RunRecorder {
  private readonly logger = new Logger(RunRecorder.name);
  private text = '';
  private savedLength = 0;
  private timer?: NodeJS.Timeout;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly repo: ChatRepository,
    private readonly ids: { runId: string; messageId: string; userId: string },
  ) {}

  get assistantText(): string {
    return this.text;
  }

  appendText(text: string): void {
    this.text += text;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.enqueue(() => this.saveText());
    }, FLUSH_EVERY_MS);
  }

  recordToolResult(event: Extract<RunEvent, { type: 'tool_result' }>): void {
    this.enqueue(() =>
      this.repo.insertToolCall({
        runId: this.ids.runId,
        userId: this.ids.userId,
        toolUseId: event.id,
        name: event.name,
        input: event.input ?? null,
        result: event.error ? null : (event.result ?? null),
        error: event.error ?? null,
        durationMs: event.duration_ms,
      }),
    );
  }

  async finish(args: {
    status: RunStatus;
    stopReason: string | null;
    usage: { input_tokens: number; output_tokens: number };
    error: { code: string; message: string } | null;
  }): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writes;
    try {
      await this.repo.finishRun({ runId: this.ids.runId, messageId: this.ids.messageId, text: this.text, ...args });
    } catch (err) {
      this.logger.error({ msg: 'could not save the end of a run', run_id: this.ids.runId, error: String(err) });
    }
  }

  private async saveText(): Promise<void> {
    if (this.text.length === this.savedLength) return;
    const snapshot = this.text;
    await this.repo.saveAssistantText(this.ids.messageId, snapshot);
    this.savedLength = snapshot.length;
  }

  private enqueue(write: () => Promise<void>): void {
    this.writes = this.writes.then(write).catch((err: unknown) => {
      this.logger.error({ msg: 'could not save run progress', run_id: this.ids.runId, error: String(err) });
    });
  }
}
