import type { LlmMessage } from '../../agents/llm/llm-provider.js';
import type { MessageRole } from '../entities/message.entity.js';

export interface ModelInput {
  history: LlmMessage[];
  /** Stored `system` messages: client instructions, placed after the agent's prompt by the runtime. */
  clientInstructions: string[];
}

/** The model sees about one token per four characters of English: the budget's unit conversion. */
export const CHARS_PER_TOKEN = 4;

/**
 * Turns stored messages into Messages-API turns: system messages are set aside, empty assistant messages (a
 * failed run) are skipped, consecutive same-role turns are merged (the API wants alternation), and the first
 * turn is the user's. When older messages were left out to fit the context budget, the model is told so.
 */
export function toModelInput(messages: Array<{ role: MessageRole; text: string }>, omitted = 0): ModelInput {
  const clientInstructions: string[] = [];
  const history: LlmMessage[] = [];
  for (const m of messages) {
    const text = m.text;
    if (m.role === 'system') {
      clientInstructions.push(text);
      continue;
    }
    if (!text.trim()) continue;
    const last = history[history.length - 1];
    if (last?.role === m.role) last.content.push({ type: 'text', text });
    else history.push({ role: m.role, content: [{ type: 'text', text }] });
  }
  const opening = omitted
    ? `(${omitted} earlier message${omitted === 1 ? '' : 's'} of this conversation are left out to fit the context window.)`
    : history[0]?.role === 'assistant'
      ? '(conversation start)'
      : undefined;
  if (opening) {
    if (history[0]?.role === 'user') history[0].content.unshift({ type: 'text', text: opening });
    else history.unshift({ role: 'user', content: [{ type: 'text', text: opening }] });
  }
  return { history, clientInstructions };
}
