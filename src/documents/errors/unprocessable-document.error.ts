import { AppError } from '../../common/errors/app.error.js';

/** A supported type whose content cannot be used: empty, corrupt, encrypted, or without any text. */
export class UnprocessableDocument extends AppError {
  constructor(reason: string) {
    super('UNPROCESSABLE', reason);
  }
}
