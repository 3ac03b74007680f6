import { NotFoundError } from '../common/errors/app.error.js';

/** Also what another user's task looks like. */
export class TaskNotFound extends NotFoundError {
  constructor() {
    super('Task');
  }
}

/** Another user's upload, or one that expired. */
export class UploadNotFound extends NotFoundError {
  constructor() {
    super('Upload');
  }
}
