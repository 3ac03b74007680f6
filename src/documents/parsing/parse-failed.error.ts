import type { ParseFailureReason } from './parse-job.js';

/** The worker could not use the document (or gave up on it); DocumentExtractor turns this into a 422. */
export class ParseFailed extends Error {
  constructor(
    readonly reason: ParseFailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'ParseFailed';
  }
}
