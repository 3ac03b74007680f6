/**
 * A document the parser could not use, with a reason the main thread turns into a 422 (a 415 for UNSUPPORTED).
 * Anything else thrown inside a parser library is treated as CORRUPT: those libraries throw on malformed input.
 */
export class ParseFailure extends Error {
  /** @param {'CORRUPT' | 'ENCRYPTED' | 'UNSUPPORTED'} reason */
  constructor(reason, message) {
    super(message);
    this.name = 'ParseFailure';
    this.reason = reason;
  }
}
