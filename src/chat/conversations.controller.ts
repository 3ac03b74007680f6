import { Body, Controller, Delete, Get, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthUser } from '../auth/auth-user.js';
import { Authenticated } from '../common/decorators/authenticated.decorator.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { ValidationFailedError } from '../common/errors/app.error.js';
import { ProblemResponseDto } from '../common/errors/problem-response.dto.js';
import { PaginationQueryDto } from '../common/validation/pagination-query.dto.js';
import { UuidParam } from '../common/validation/uuid-param.decorator.js';
import { AppConfig } from '../config/app-config.js';
import type { RunStreamEvent } from '../runs/run-stream-event.js';
import { ConversationFeed, type ConversationEvent, type ConversationPosition } from './conversation-feed.js';
import { ConversationsService } from './conversations.service.js';
import { ConversationDto } from './dto/chat-responses.dto.js';
import { AddMemberDto, MemberDto } from './dto/member.dto.js';
import { MembersService } from './members.service.js';
import { streamEvents, type SseEvent } from './sse/stream-events.js';

const POSITION = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(\d{1,9})$/i;

/** A conversation stream's `Last-Event-ID`: `<run id>:<event id>`, as its events' ids are. */
function positionOf(lastEventId: string | undefined): ConversationPosition | undefined {
  if (lastEventId === undefined || lastEventId.trim() === '') return undefined;
  const match = POSITION.exec(lastEventId.trim());
  if (!match) {
    throw new ValidationFailedError([
      { field: 'Last-Event-ID', message: 'Last-Event-ID must be an event id of this stream (<run id>:<n>)' },
    ]);
  }
  return { runId: match[1].toLowerCase(), eventId: Number(match[2]) };
}

@ApiTags('chat')
@Authenticated()
@Controller('conversations')
export class ConversationsController {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly members: MembersService,
    private readonly feed: ConversationFeed,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Your conversations and those shared with you, most recently active first' })
  @ApiOkResponse({ type: [ConversationDto] })
  list(@CurrentUser() user: AuthUser, @Query() page: PaginationQueryDto): Promise<ConversationDto[]> {
    return this.conversations.list(user, page.limit, page.offset);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a conversation with its messages, runs and tool calls (stops its active runs)' })
  @ApiNoContentResponse()
  @ApiForbiddenResponse({ type: ProblemResponseDto, description: 'You are a member, not the owner' })
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  remove(@CurrentUser() user: AuthUser, @UuidParam('id') id: string): Promise<void> {
    return this.conversations.delete(user, id);
  }

  @Get(':id/events')
  @ApiOperation({
    summary: 'Every run of the conversation, live, over SSE (owner and members, on any instance)',
    description:
      'The runs active now from their first event, then each new run as it starts. Events are the run events ' +
      '(`run_started`, `text_delta`…) with a `run_id` field; their ids are `<run id>:<n>`. Resume with ' +
      '`Last-Event-ID`: that run after that event, then every run started after it. The stream stays open (pings) ' +
      'until you leave, the conversation is deleted, or you lose access.',
  })
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The id of the last event you received' })
  @ApiOkResponse({ description: 'SSE stream', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  async events(
    @CurrentUser() user: AuthUser,
    @UuidParam('id') id: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const follow = new AbortController();
    const events = await this.feed.follow(user.id, id, positionOf(lastEventId), follow.signal);
    streamEvents(res, asSse(events), { pingMs: this.config.ssePingMs, abort: follow });
  }

  @Post(':id/members')
  @ApiOperation({
    summary: 'Share the conversation: add a member (or change a member’s role)',
    description: 'Owner only. `viewer`s read and watch; `participant`s also post turns and cancel runs.',
  })
  @ApiCreatedResponse({ type: MemberDto, description: 'Added (200 when an existing member’s role was changed)' })
  @ApiForbiddenResponse({ type: ProblemResponseDto, description: 'You are a member, not the owner' })
  @ApiNotFoundResponse({ type: ProblemResponseDto, description: 'No such conversation of yours, or no such account' })
  async addMember(
    @CurrentUser() user: AuthUser,
    @UuidParam('id') id: string,
    @Body() dto: AddMemberDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<MemberDto> {
    const { member, created } = await this.members.put(user, id, dto);
    res.status(created ? 201 : 200);
    return member;
  }

  @Get(':id/members')
  @ApiOperation({ summary: 'The conversation’s members (the owner and members may list)' })
  @ApiOkResponse({ type: [MemberDto] })
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  listMembers(@CurrentUser() user: AuthUser, @UuidParam('id') id: string): Promise<MemberDto[]> {
    return this.members.list(user, id);
  }

  @Delete(':id/members/:userId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a member (owner), or leave (a member removing themselves)' })
  @ApiNoContentResponse()
  @ApiForbiddenResponse({ type: ProblemResponseDto, description: 'You are a member removing someone else' })
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  removeMember(
    @CurrentUser() user: AuthUser,
    @UuidParam('id') id: string,
    @UuidParam('userId') userId: string,
  ): Promise<void> {
    return this.members.remove(user, id, userId);
  }
}

/** A conversation's events as SSE: ids `<run id>:<n>`, and each event's data names its run. */
async function* asSse(events: AsyncIterable<ConversationEvent>): AsyncGenerator<SseEvent> {
  for await (const { runId, entry } of events) {
    const event: RunStreamEvent & { run_id: string } = { ...entry.event, run_id: runId };
    yield { id: entry.id ? `${runId}:${entry.id}` : '', event };
  }
}
