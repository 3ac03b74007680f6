import type { SseFrame, StreamTarget } from './sse-client.js';

/** A frame of the Messages API that carries text. */
const isModelToken = (f: SseFrame) => f.event === 'content_block_delta' && f.data.includes('"text_delta"');

/** Pacing of the scripted model's answer: `count` text deltas, `delayMs` apart (first one immediately). */
export interface Pacing {
  count: number;
  delayMs: number;
}

/** The scripted server's marker for a paced answer, or for one that never comes (`[[hang]]`). */
export function promptFor(pacing: Pacing | 'hang'): string {
  return pacing === 'hang' ? '[[hang]]' : `[[deltas:${pacing.count}:${pacing.delayMs}]]`;
}

/**
 * Straight to the scripted Messages API, the way the SDK would ask (stream: true), with no SDK: the baseline every
 * "added" figure subtracts.
 */
export function directTarget(llmUrl: string, prompt: string): StreamTarget {
  return {
    label: 'direct',
    url: new URL('/v1/messages', llmUrl),
    headers: { 'anthropic-version': '2023-06-01', 'x-api-key': 'bench' },
    body: JSON.stringify({
      model: 'claude-sonnet-5-5',
      max_tokens: 1024,
      stream: true,
      messages: [{ role: 'user', content: prompt }],
    }),
    isToken: isModelToken,
    isEnd: (f) => f.event === 'message_stop',
    sequenced: false,
  };
}

/** `POST /api/chat` on the app, as a user: a new conversation per request unless `extra` names one. */
export function appTarget(
  appUrl: string,
  token: string,
  prompt: string,
  extra: Record<string, unknown> = {},
): StreamTarget {
  return {
    label: 'app',
    url: new URL('/api/chat', appUrl),
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify({ messages: [{ role: 'user', content: prompt }], ...extra }),
    isToken: (f) => f.event === 'text_delta',
    isEnd: (f) => f.data === '[DONE]',
    sequenced: true,
  };
}
