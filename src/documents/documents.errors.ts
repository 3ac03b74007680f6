import { AppError, NotFoundError, ServiceUnavailable } from '../common/errors/app.error.js';

/** Also what another user's document looks like: no existence oracle. */
export class DocumentNotFound extends NotFoundError {
  constructor() {
    super('Document');
  }
}

/** A supported type whose content cannot be used: empty, corrupt, encrypted, or without any text. */
export class UnprocessableDocument extends AppError {
  constructor(reason: string) {
    super('UNPROCESSABLE', reason);
  }
}

export class UnsupportedDocumentType extends AppError {
  constructor(what: string) {
    super(
      'UNSUPPORTED_MEDIA_TYPE',
      `Unsupported document type (${what}); upload plain text, Markdown, HTML, PDF or DOCX`,
    );
  }
}

/** The upload's body is neither multipart nor JSON (e.g. raw PDF bytes). */
export class UnsupportedUploadEncoding extends AppError {
  constructor() {
    super(
      'UNSUPPORTED_MEDIA_TYPE',
      'Send multipart/form-data with a "file" field, or application/json {"title", "content"}',
    );
  }
}

export class ParserQueueFull extends ServiceUnavailable {
  constructor() {
    super('Too many documents are being parsed; retry shortly');
  }
}

export class ParserShuttingDown extends ServiceUnavailable {
  constructor() {
    super('The server is shutting down');
  }
}

/** A limit of the parser or of the passages was passed; the detail names it. */
export class DocumentTooLarge extends AppError {
  constructor(detail: string) {
    super('PAYLOAD_TOO_LARGE', detail);
  }
}

/** The caller already has as many uploads waiting for a parser as one user may; others' uploads are unaffected. */
export class TooManyUploadsParsing extends AppError {
  constructor(waiting: number, retryAfterSeconds: number) {
    super('RATE_LIMITED', `You already have ${waiting} uploads waiting to be parsed; retry when one has finished`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** PostgreSQL cancelled the search at SEARCH_TIMEOUT_MS. */
export class SearchTimedOut extends ServiceUnavailable {
  constructor(timeoutMs: number) {
    super(`The search took longer than ${timeoutMs} ms and was stopped; search for more specific words`);
  }
}
