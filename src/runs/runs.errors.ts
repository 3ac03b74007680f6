import { AppError, NotFoundError } from '../common/errors/app.error.js';

/** Also what another user's run looks like. */
export class RunNotFound extends NotFoundError {
  constructor() {
    super('Run');
  }
}

export class TooManyActiveRuns extends AppError {
  constructor(what: 'user' | 'address' | 'server', limit: number) {
    super(
      'TOO_MANY_ACTIVE_RUNS',
      what === 'server'
        ? 'The server is running as many runs as it allows; retry shortly'
        : `At most ${limit} runs may be active per ${what}; wait for one to finish or cancel it`,
    );
    this.retryAfterSeconds = 1;
  }
}

export class RunEventsExpired extends AppError {
  constructor() {
    super('RUN_EVENTS_EXPIRED', "This run's events are no longer kept; its answer is in the conversation's history");
  }
}

export class RunNotActive extends AppError {
  constructor() {
    super('VALIDATION_FAILED', 'The run has finished; context can only be added to an active run', [
      { field: 'run_id', message: 'the run has finished' },
    ]);
  }
}
