export type ToolErrorCode = 'NOT_FOUND' | 'INVALID_INPUT' | 'TIMEOUT' | 'FORBIDDEN' | 'INTERNAL_ERROR';

/** A failure a tool reports to the model as data: `{error, code, recoverable}`. */
export class ToolError extends Error {
  constructor(
    readonly code: ToolErrorCode,
    message: string,
    readonly recoverable = true,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}

export interface ToolErrorResult {
  error: string;
  code: ToolErrorCode;
  recoverable: boolean;
}
