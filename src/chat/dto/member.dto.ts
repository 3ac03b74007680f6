import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, MaxLength } from 'class-validator';
import { normalizeEmailInput } from '../../common/validation/email-address.js';
import type { MemberRole } from '../entities/conversation-member.entity.js';

export class AddMemberDto {
  @ApiProperty({ example: 'grace@example.com', description: 'The account to share the conversation with' })
  @Transform(({ value }) => normalizeEmailInput(value))
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(320)
  email: string;

  @ApiProperty({
    enum: ['viewer', 'participant'],
    example: 'participant',
    description: '`viewer`: reads and watches; `participant`: also posts turns and cancels runs',
  })
  @IsIn(['viewer', 'participant'])
  role: MemberRole;
}

export class MemberDto {
  @ApiProperty({ format: 'uuid' })
  user_id: string;

  @ApiProperty({ example: 'grace@example.com' })
  email: string;

  @ApiProperty({ enum: ['viewer', 'participant'], example: 'participant' })
  role: MemberRole;
}
