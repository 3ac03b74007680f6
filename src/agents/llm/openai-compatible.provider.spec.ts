import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../config/load-config.js';
import { LlmError, type LlmEvent } from './llm-provider.js';
import { OpenAiCompatibleProvider, toMessages } from './openai-compatible.provider.js';

describe('toMessages (runtime messages as Chat Completions messages)', () => {
  it('puts an assistant turn’s tool calls in `tool_calls`, with their input as JSON arguments', () => {
    expect(
      toMessages({
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'c1', name: 'echo', input: { text: 'hi' } },
          { type: 'tool_use', id: 'c2', name: 'whoami', input: {} },
        ],
      }),
    ).toEqual([
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'echo', arguments: '{"text":"hi"}' } },
          { id: 'c2', type: 'function', function: { name: 'whoami', arguments: '{}' } },
        ],
      },
    ]);
    expect(
      toMessages({ role: 'assistant', content: [{ type: 'tool_use', id: 'c1', name: 'x', input: {} }] })[0],
    ).toMatchObject({
      content: null,
    });
  });

  it('makes each tool result a `tool` message, before any text of the same turn', () => {
    expect(
      toMessages({
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'c1', content: '{"echo":"hi"}' },
          { type: 'tool_result', tool_use_id: 'c2', content: '{"error":"x"}', is_error: true },
          { type: 'text', text: 'and then?' },
        ],
      }),
    ).toEqual([
      { role: 'tool', tool_call_id: 'c1', content: '{"echo":"hi"}' },
      { role: 'tool', tool_call_id: 'c2', content: '{"error":"x"}' },
      { role: 'user', content: 'and then?' },
    ]);
    expect(toMessages({ role: 'user', content: [{ type: 'text', text: 'hi' }] })).toEqual([
      { role: 'user', content: 'hi' },
    ]);
  });
});

describe('OpenAiCompatibleProvider', () => {
  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))));

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; hits: string[] }> {
    const hits: string[] = [];
    const server = createServer((req, res) => {
      hits.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      handler!(req, res);
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
  }

  it('never follows a redirect with the API key: the 3xx is an error and its target receives nothing', async () => {
    const elsewhere = await serve((_req, res) => res.end());
    const redirecting = await serve((_req, res) => {
      res.writeHead(307, { location: `${elsewhere.url}/v1/chat/completions` });
      res.end();
    });
    const provider = new OpenAiCompatibleProvider(
      loadConfig({ OPENAI_BASE_URL: `${redirecting.url}/v1`, OPENAI_API_KEY: 'sk-secret', LLM_MAX_RETRIES: '0' }),
    );
    const events: LlmEvent[] = [];
    const run = async () => {
      const request = { model: 'm', system: [], messages: [], tools: [], temperature: 0, maxTokens: 10 };
      for await (const event of provider.stream(request, new AbortController().signal)) events.push(event);
    };
    await expect(run()).rejects.toBeInstanceOf(LlmError);
    await provider.onApplicationShutdown();
    expect(redirecting.hits).toEqual(['POST /v1/chat/completions Bearer sk-secret']);
    expect(elsewhere.hits).toEqual([]);
    expect(events).toEqual([]);
  });
});
