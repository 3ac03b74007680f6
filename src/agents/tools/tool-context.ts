/** What the runtime hands every tool call. Built from the authenticated request, never from model output. */
export interface ToolContext {
  /** The calling user; every query a tool makes must be scoped to it. */
  userId: string;
  runId: string;
  conversationId: string;
  /** Aborted on cancel, client disconnect, or the tool's timeout. Pass it on to any I/O. */
  signal: AbortSignal;
  /** The client's UI context sent with the chat request (untrusted user data). */
  clientContext?: Record<string, unknown>;
}
