import { AppError, NotFoundError, ValidationFailedError } from '../common/errors/app.error.js';

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

/** Not a 401: the caller's token is fine, and a client must not take this for a session that ended. */
export class WrongCurrentPassword extends ValidationFailedError {
  constructor() {
    super([{ field: 'current_password', message: 'current_password is not the account’s password' }]);
  }
}

/** The account was deleted while its token was being checked: as any other unusable token. */
export class AccountGone extends AppError {
  constructor() {
    super('UNAUTHORIZED', 'Missing, invalid or expired bearer token');
  }
}

export class UserNotFound extends NotFoundError {
  constructor() {
    super('User');
  }
}
