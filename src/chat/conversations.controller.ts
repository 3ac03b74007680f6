import { Controller, Delete, Get, HttpCode, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';
import { Authenticated } from '../common/decorators/authenticated.decorator.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { ProblemResponseDto } from '../common/errors/problem-response.dto.js';
import { PaginationQueryDto } from '../common/validation/pagination-query.dto.js';
import { UuidParam } from '../common/validation/uuid-param.decorator.js';
import { ConversationsService } from './conversations.service.js';
import { ConversationDto } from './dto/chat-responses.dto.js';

@ApiTags('chat')
@Authenticated()
@Controller('conversations')
export class ConversationsController {
  constructor(private readonly conversations: ConversationsService) {}

  @Get()
  @ApiOperation({ summary: 'Your conversations, most recently active first' })
  @ApiOkResponse({ type: [ConversationDto] })
  list(@CurrentUser() user: AuthUser, @Query() page: PaginationQueryDto): Promise<ConversationDto[]> {
    return this.conversations.list(user, page.limit, page.offset);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a conversation with its messages, runs and tool calls (cancels an active run)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ProblemResponseDto })
  remove(@CurrentUser() user: AuthUser, @UuidParam('id') id: string): Promise<void> {
    return this.conversations.delete(user, id);
  }
}
