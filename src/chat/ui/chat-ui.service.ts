import { Injectable } from '@nestjs/common';
import { DEFAULT_AGENT } from '../../agents/agent-definitions.service.js';
import type { AuthUser } from '../../auth/auth-user.js';
import { ValidationFailedError } from '../../common/errors/app.error.js';
import { ChatRepository } from '../chat.repository.js';
import { ChatService } from '../chat.service.js';
import type { AcceptedRun } from '../runs/run-pipeline.js';
import { RunsRepository } from '../runs/runs.repository.js';
import type { ChatUiRequestDto, UiMessageInput } from './dto/chat-ui-request.dto.js';
import { conversationIdFor } from './ui-conversation-id.js';

const MAX_TURN_CHARS = 50_000;
const TITLE_MAX = 80;

/**
 * `POST /api/chat/ui` as a chat request: the AI SDK sends the whole conversation every time, but the stored history
 * is authoritative, so only its new user turn is taken; the chat id names the conversation, created on first use.
 */
@Injectable()
export class ChatUiService {
  constructor(
    private readonly chat: ChatService,
    private readonly repo: ChatRepository,
    private readonly runs: RunsRepository,
  ) {}

  async start(
    user: AuthUser,
    dto: ChatUiRequestDto,
    client: { idempotencyKey?: string; address?: string },
  ): Promise<AcceptedRun> {
    if (dto.trigger === 'regenerate-message') {
      throw new ValidationFailedError([
        {
          field: 'trigger',
          message: 'regenerate-message is not supported: the stored history is authoritative; send a new message',
        },
      ]);
    }
    const content = newUserTurn(dto.messages);
    const conversationId = conversationIdFor(user.id, dto.id);
    await this.repo.createConversationIfAbsent({
      id: conversationId,
      userId: user.id,
      title: titleFrom(content),
      agent: dto.agent ?? DEFAULT_AGENT,
    });
    return this.chat.start(
      user,
      {
        messages: [{ role: 'user', content }],
        conversation_id: conversationId,
        agent: dto.agent,
        model: dto.model,
        context: dto.context,
        on_disconnect: dto.on_disconnect,
        stream: true,
      },
      client,
    );
  }

  /**
   * The run a chat (by its AI SDK id) is answering now, for `useChat({ resume: true })`; undefined when none is
   * active. A chat not created yet (a new page asks on load) and another user's chat are alike: nothing to resume.
   */
  async activeRun(user: AuthUser, chatId: string): Promise<string | undefined> {
    const conversationId = conversationIdFor(user.id, chatId);
    if (!(await this.repo.findAccessible(conversationId, user.id))) return undefined;
    const active = await this.runs.activeRuns(conversationId);
    return (active.find((r) => r.status !== 'queued') ?? active[0])?.id;
  }
}

/** The text of the last message, which must be the user's new turn. */
function newUserTurn(messages: UiMessageInput[]): string {
  const index = messages.length - 1;
  const last = messages[index];
  const invalid = (field: string, message: string) =>
    new ValidationFailedError([{ field: `messages.${index}.${field}`, message }]);
  if (last.role !== 'user') throw invalid('role', 'the last message must be the user’s new turn');
  if (!Array.isArray(last.parts)) throw invalid('parts', 'parts must be an array');
  const text = (last.parts as unknown[])
    .filter((p): p is { type: 'text'; text: string } => isTextPart(p))
    .map((p) => p.text)
    .join('\n')
    .trim();
  if (!text) throw invalid('parts', 'the new turn must have text');
  if (text.length > MAX_TURN_CHARS)
    throw invalid('parts', `the new turn's text must be at most ${MAX_TURN_CHARS} characters`);
  return text;
}

function isTextPart(part: unknown): boolean {
  return (
    typeof part === 'object' &&
    part !== null &&
    (part as { type?: unknown }).type === 'text' &&
    typeof (part as { text?: unknown }).text === 'string'
  );
}

function titleFrom(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > TITLE_MAX ? `${oneLine.slice(0, TITLE_MAX - 1)}…` : oneLine;
}
