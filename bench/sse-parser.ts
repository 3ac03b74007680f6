export interface SseFrame {
  id?: string;
  event?: string;
  data: string;
}

/**
 * An incremental text/event-stream parser (the subset servers here emit: `id`, `event`, `data`, comments). Hand
 * rolled rather than a dependency so the client's per-frame cost stays tiny and identical for both the direct and
 * the through-the-app streams: whatever it costs cancels out of every "added" figure.
 */
export class SseParser {
  private pending = '';
  private frame: SseFrame = { data: '' };
  private hasField = false;

  constructor(
    private readonly onFrame: (frame: SseFrame) => void,
    private readonly onComment: (text: string) => void = () => undefined,
  ) {}

  push(chunk: string): void {
    this.pending += chunk;
    let start = 0;
    for (let nl = this.pending.indexOf('\n', start); nl >= 0; nl = this.pending.indexOf('\n', start)) {
      const end = nl > start && this.pending.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.line(this.pending.slice(start, end));
      start = nl + 1;
    }
    this.pending = this.pending.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      if (this.hasField) this.onFrame(this.frame);
      this.frame = { data: '' };
      this.hasField = false;
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) {
      this.onComment(line.slice(1).trim());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    this.hasField = true;
    if (field === 'data') this.frame.data = this.frame.data ? `${this.frame.data}\n${value}` : value;
    else if (field === 'id') this.frame.id = value;
    else if (field === 'event') this.frame.event = value;
  }
}
