/**
 * A document the parser could not use, with a reason the main thread turns into a 422. Anything else thrown
 * inside a parser library is treated as CORRUPT: those libraries throw on malformed input.
 */
export class ParseFailure extends Error {
  /** @param {'CORRUPT' | 'ENCRYPTED'} reason */
  constructor(reason, message) {
    super(message);
    this.name = 'ParseFailure';
    this.reason = reason;
  }
}
