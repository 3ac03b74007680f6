import { AppError, NotFoundError } from '../common/errors/app.error.js';

export class ConversationNotFound extends NotFoundError {
  constructor() {
    super('Conversation');
  }
}

export class ConversationBusy extends AppError {
  constructor() {
    super('CONVERSATION_BUSY', 'A run is already active in this conversation; cancel it or wait for it to finish');
  }
}

export class ConversationChanged extends AppError {
  constructor() {
    super('CONVERSATION_CHANGED', 'Another message was added to this conversation meanwhile; send yours again');
  }
}

export class IdempotencyInProgress extends AppError {
  constructor() {
    super(
      'IDEMPOTENCY_IN_PROGRESS',
      'A request with this Idempotency-Key is still running; retry when it has finished',
    );
    this.retryAfterSeconds = 1;
  }
}

export class ConversationReadOnly extends AppError {
  constructor() {
    super('FORBIDDEN', 'Viewers of a shared conversation cannot post turns or cancel runs');
  }
}

export class OwnerOnly extends AppError {
  constructor() {
    super('FORBIDDEN', "Only the conversation's owner can do this");
  }
}
