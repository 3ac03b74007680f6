import { NotFoundError } from '../common/errors/app.error.js';

export class AgentNotFound extends NotFoundError {
  constructor() {
    super('Agent');
  }
}

/** A definition file that cannot be used: boot fails with the file and field named. */
export class AgentDefinitionError extends Error {}

/** Two `@AgentTool`s with one name: boot fails naming both declarations. */
export class DuplicateToolError extends Error {}
