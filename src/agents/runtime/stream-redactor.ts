import { cleanText, cleanValue, endsInHalfPair } from './clean-text.js';

const REDACTED = '[redacted]';
const MAX_HELD = 256;

/**
 * Makes streamed model text safe to show and store: removes secrets before anyone sees them, including a secret
 * split across chunk boundaries or across the model's turns of one run (text before a tool call, the rest after:
 * held text waits for the next turn, only `flush` at the run's end releases it), and replaces what PostgreSQL cannot
 * store (NUL, unpaired surrogates; a high surrogate at a chunk's end waits for its other half).
 * Literal secrets (the server's API key, JWT secret) are matched exactly: text is held back only while the
 * buffer ends with a prefix of one. Configured patterns are applied to the buffer before release, and the trailing
 * word (up to 256 chars) is held back so a token still arriving is matched whole; a pattern match that spans
 * whitespace is caught when it arrives within one release window.
 */
export class StreamRedactor {
  private buffer = '';
  private readonly literals: string[];

  constructor(
    literals: readonly string[],
    private readonly patterns: readonly RegExp[] = [],
  ) {
    // Longest first so a secret containing another is removed whole.
    this.literals = [...new Set(literals.filter((s) => s.length >= 6))].sort((a, b) => b.length - a.length);
  }

  /** Adds streamed text; returns what is safe to release now (possibly empty). */
  push(text: string): string {
    this.buffer = this.scrub(this.buffer + text);
    let hold = Math.max(this.partialLiteralTail(), this.patterns.length ? this.trailingWord() : 0);
    if (hold === 0 && endsInHalfPair(this.buffer)) hold = 1;
    const release = this.buffer.slice(0, this.buffer.length - hold);
    this.buffer = this.buffer.slice(this.buffer.length - hold);
    return cleanText(release);
  }

  /** Ends the stream: releases whatever is held, scrubbed. */
  flush(): string {
    const rest = this.scrub(this.buffer);
    this.buffer = '';
    return cleanText(rest);
  }

  /** Scrubs a complete string (an error message, a tool call's name or id) and makes it storable. */
  redact(text: string): string {
    return cleanText(this.scrub(text));
  }

  /**
   * Scrubs every string (keys included) inside a JSON-like value (a tool call's input, a tool's result): those are
   * streamed to the client and stored as well, outside the text stream.
   */
  redactValue(value: unknown): unknown {
    return cleanValue(this.scrubValue(value));
  }

  private scrubValue(value: unknown): unknown {
    if (typeof value === 'string') return this.scrub(value);
    if (Array.isArray(value)) return value.map((v) => this.scrubValue(v));
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [this.scrub(k), this.scrubValue(v)]));
  }

  private scrub(text: string): string {
    let out = text;
    for (const secret of this.literals) out = out.split(secret).join(REDACTED);
    for (const pattern of this.patterns) out = out.replace(pattern, REDACTED);
    return out;
  }

  /** Length of the longest buffer suffix that is a proper prefix of a literal secret. */
  private partialLiteralTail(): number {
    let longest = 0;
    for (const secret of this.literals) {
      const max = Math.min(secret.length - 1, this.buffer.length);
      for (let n = max; n > longest; n--) {
        if (this.buffer.endsWith(secret.slice(0, n))) {
          longest = n;
          break;
        }
      }
    }
    return longest;
  }

  private trailingWord(): number {
    const match = /\S+$/.exec(this.buffer);
    return match ? Math.min(match[0].length, MAX_HELD) : 0;
  }
}
