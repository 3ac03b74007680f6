import { NotFoundError } from '../../common/errors/app.error.js';

/** Also what another user's document looks like: no existence oracle. */
export class DocumentNotFound extends NotFoundError {
  constructor() {
    super('Document');
  }
}
