import type { LlmMessage } from '../../agents/llm/llm-provider.js';
import type { MessageRole } from '../entities/message.entity.js';

export interface ModelInput {
  history: LlmMessage[];
  /** Stored `system` messages: client instructions, placed after the agent's prompt by the runtime. */
  clientInstructions: string[];
}

/**
 * Turns stored messages into Messages-API turns: system messages are set aside, empty assistant messages (a
 * failed run) are skipped, consecutive same-role turns are merged (the API wants alternation), and the first
 * turn is the user's.
 */
export function toModelInput(messages: Array<{ role: MessageRole; text: string }>): ModelInput {
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
  if (history[0]?.role === 'assistant')
    history.unshift({ role: 'user', content: [{ type: 'text', text: '(conversation start)' }] });
  return { history, clientInstructions };
}
