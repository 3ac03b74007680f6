import { AppError, NotFoundError } from '../common/errors/app.error.js';

export class EmailTaken extends AppError {
  constructor() {
    super('EMAIL_TAKEN', 'An account with this email already exists');
  }
}

export class InvalidCredentials extends AppError {
  constructor() {
    super('UNAUTHORIZED', 'Invalid email or password');
  }
}

export class UserNotFound extends NotFoundError {
  constructor() {
    super('User');
  }
}
