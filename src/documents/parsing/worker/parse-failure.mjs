/**
 * A document the parser could not use, with a reason the main thread turns into a 422 (a 415 for UNSUPPORTED, a 413
 * for TOO_LARGE: a limit of `ParserLimits`, which the message names). Anything else thrown inside a parser library is
 * treated as CORRUPT: those libraries throw on malformed input.
 */
export class ParseFailure extends Error {
  /** @param {'CORRUPT' | 'ENCRYPTED' | 'UNSUPPORTED' | 'TOO_LARGE'} reason */
  constructor(reason, message) {
    super(message);
    this.name = 'ParseFailure';
    this.reason = reason;
  }
}

const MiB = 1024 * 1024;

/** Sizes in refusals, as an operator sets them (PARSER_MAX_PART_MB…). */
export function mebibytes(bytes) {
  return `${Math.round((bytes / MiB) * 10) / 10} MiB`;
}
