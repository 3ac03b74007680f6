import { Injectable } from '@nestjs/common';
import type { LlmEvent, LlmMessage, LlmProvider, LlmRequest } from './llm-provider.js';

const SEARCH_TOOL = 'search_documents';
const MAX_RESULTS = 3;
const MAX_QUERY_WORDS = 32;

/**
 * Words a question is made of rather than about. The search ANDs plain words, so a question searched as written
 * ("What does my onboarding guide say about VPN access?") finds only passages holding every one of them; with
 * these left out and the rest ORed, ranking puts the passages that share the most of the meaningful words first.
 * English only: the text search configuration drops its own stop words too, and under another language these are
 * merely a few extra ORed words.
 */
const QUESTION_WORDS = new Set(
  (
    'a about above after again all also am an and any are as at be because been before being between both but by ' +
    'can could did do does doing down during each few for from further had has have having he her here hers him ' +
    'his how i if in into is it its just me more most my no nor not now of off on once only or other our ours out ' +
    'over own please same say says she should so some such tell than that the their theirs them then there these ' +
    'they this those through to too under until up very was we were what when where which while who whom why will ' +
    'with would you your yours'
  ).split(' '),
);

interface SearchHit {
  title?: string;
  text?: string;
  score?: number;
}

/**
 * The provider used when no ANTHROPIC_API_KEY is configured. It is not a language model and says so: it asks the
 * runtime to run `search_documents` on the user's last message (so the call is scoped, persisted and streamed
 * like any tool call), then streams back the best passages with their titles.
 */
@Injectable()
export class OfflineProvider implements LlmProvider {
  readonly name = 'offline' as const;

  async *stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<LlmEvent> {
    const last = request.messages[request.messages.length - 1];
    const toolResult = last?.content.find((b) => b.type === 'tool_result');
    let text: string;
    if (!toolResult) {
      const question = lastUserText(request.messages);
      if (question && request.tools.some((t) => t.name === SEARCH_TOOL)) {
        yield {
          type: 'tool_use',
          id: `offline_${Date.now().toString(36)}`,
          name: SEARCH_TOOL,
          input: { query: toSearchQuery(question), max_results: MAX_RESULTS },
        };
        yield { type: 'stop', stopReason: 'tool_use' };
        return;
      }
      text =
        'Offline mode: no language model is configured (set ANTHROPIC_API_KEY), and this agent has no document search.';
    } else {
      text = formatPassages(toolResult.content, toolResult.is_error === true);
    }
    // Stream in small pieces so clients exercise the same incremental path as with a real model.
    for (const piece of text.match(/[\s\S]{1,64}/g) ?? []) {
      if (signal.aborted) return;
      yield { type: 'text', text: piece };
    }
    yield { type: 'usage', inputTokens: 0, outputTokens: 0 };
    yield { type: 'stop', stopReason: 'end_turn' };
  }
}

/**
 * A natural question as a search query: its meaningful words, ORed (`websearch_to_tsquery` syntax), at most
 * MAX_QUERY_WORDS of them; the question as it stands when it has none (a one-word message, a quoted phrase).
 */
export function toSearchQuery(question: string): string {
  const words = question.match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu) ?? [];
  const meaningful = [...new Set(words.filter((w) => w.length > 1 && !QUESTION_WORDS.has(w.toLowerCase())))];
  if (!meaningful.length) return question.slice(0, 500);
  return meaningful.slice(0, MAX_QUERY_WORDS).join(' or ').slice(0, 500);
}

function lastUserText(messages: LlmMessage[]): string | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role !== 'user') continue;
    const text = messages[i].content
      .filter((b) => b.type === 'text')
      .map((b) => (b as { text: string }).text)
      .join('\n')
      .trim();
    if (text) return text;
  }
  return undefined;
}

function formatPassages(content: string, isError: boolean): string {
  const header = 'Offline mode: no language model is configured, so this is not a generated answer.';
  if (isError) return `${header} Searching your documents failed.`;
  let results: SearchHit[];
  try {
    results = (JSON.parse(content) as { results?: SearchHit[] }).results ?? [];
  } catch {
    results = [];
  }
  if (!results.length) return `${header} No passages in your documents match your message.`;
  const passages = results.map((r, i) => `${i + 1}. ${r.title ?? 'Untitled'}\n${(r.text ?? '').trim()}`);
  return `${header} The best matching passages from your documents:\n\n${passages.join('\n\n')}`;
}
