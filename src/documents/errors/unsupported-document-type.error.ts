import { AppError } from '../../common/errors/app.error.js';

export class UnsupportedDocumentType extends AppError {
  constructor(what: string) {
    super(
      'UNSUPPORTED_MEDIA_TYPE',
      `Unsupported document type (${what}); upload plain text, Markdown, HTML, PDF or DOCX`,
    );
  }
}
