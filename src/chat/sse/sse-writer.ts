import type { Response } from 'express';

/**
 * Writes one SSE stream: `id`, `event` and `data` (JSON carrying the same `type`) per event, `: ping` comments
 * while idle so proxies keep the connection open, and `data: [DONE]` last. Writes are skipped once the client is
 * gone, so a late event after a disconnect cannot throw.
 */
export class SseWriter {
  private ping?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly res: Response,
    private readonly pingMs: number,
  ) {}

  open(): void {
    this.res.status(200);
    this.res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    this.res.setHeader('Cache-Control', 'no-cache, no-transform');
    this.res.setHeader('Connection', 'keep-alive');
    // nginx and similar proxies buffer responses unless told not to.
    this.res.setHeader('X-Accel-Buffering', 'no');
    this.res.socket?.setNoDelay(true);
    // Headers and whatever events are ready in this turn (a replay, or the first token when the model answered
    // while the run was being stored) leave in one write on the next turn, not one write each.
    this.res.cork();
    // Node keeps a response's header block for the response's whole life. Sent on its own, the socket write leaves
    // it one flat string; sent as the prefix of the first event, it stays the rope of ~100 pieces Node built it as,
    // several KB per held stream (docs/PERFORMANCE.md, "SSE header block").
    if (!this.res.headersSent) this.res.flushHeaders();
    setImmediate(() => this.res.uncork());
    this.res.on('close', () => this.stop());
    this.armPing();
  }

  get isOpen(): boolean {
    return !this.closed && !this.res.writableEnded && !this.res.destroyed;
  }

  /** An event; an empty `id` (0, '') is a notice outside any log (e.g. its store became unavailable): no `id:`. */
  send(id: number | string, type: string, data: object): void {
    if (!this.isOpen) return;
    this.res.write(`${id ? `id: ${id}\n` : ''}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    // Restarts the idle countdown in place: cheaper than a new timer per frame, which adds up at 50 frames/s.
    this.ping?.refresh();
  }

  done(): void {
    if (!this.isOpen) return;
    this.res.write('data: [DONE]\n\n');
    this.stop();
    this.res.end();
  }

  private armPing(): void {
    this.ping = setTimeout(() => {
      if (!this.isOpen) return;
      this.res.write(': ping\n\n');
      this.ping?.refresh();
    }, this.pingMs);
    this.ping.unref();
  }

  private stop(): void {
    this.closed = true;
    clearTimeout(this.ping);
  }
}
