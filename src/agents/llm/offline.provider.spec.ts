import { OfflineProvider, toSearchQuery } from './offline.provider.js';
import type { LlmEvent } from './llm-provider.js';

describe('toSearchQuery (the offline provider’s search for a natural question)', () => {
  it('ORs the meaningful words of a question, so a passage need not hold every word of it', () => {
    expect(toSearchQuery('What does my onboarding guide say about VPN access?')).toBe(
      'onboarding or guide or VPN or access',
    );
    expect(toSearchQuery('How do I request VPN access?')).toBe('request or VPN or access');
  });

  it('drops search syntax and repeats, keeps other languages’ words and apostrophes', () => {
    expect(toSearchQuery('"refund" -policy OR refund policy?')).toBe('refund or policy');
    expect(toSearchQuery('Où est la politique de remboursement ?')).toBe(
      'Où or est or la or politique or de or remboursement',
    );
    expect(toSearchQuery("What's the customer's SLA")).toBe("What's or customer's or SLA");
  });

  it('keeps a message with no meaningful word as it is, and bounds the query', () => {
    expect(toSearchQuery('why?')).toBe('why?');
    const long = Array.from({ length: 100 }, (_, i) => `word${i}`).join(' ');
    expect(toSearchQuery(long).split(' or ')).toHaveLength(32);
  });
});

describe('OfflineProvider', () => {
  it('asks for search_documents with the question as an OR of its words', async () => {
    const events: LlmEvent[] = [];
    const stream = new OfflineProvider().stream(
      {
        model: 'm',
        system: [],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'What does my onboarding guide say about VPN access?' }] },
        ],
        tools: [{ name: 'search_documents', description: '', input_schema: {} }],
        temperature: 0,
        maxTokens: 10,
      },
      new AbortController().signal,
    );
    for await (const event of stream) events.push(event);
    expect(events[0]).toMatchObject({
      type: 'tool_use',
      name: 'search_documents',
      input: { query: 'onboarding or guide or VPN or access', max_results: 3 },
    });
  });
});
