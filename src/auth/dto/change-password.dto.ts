import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { NewPassword, PASSWORD_MAX_LENGTH } from './password.decorator.js';

/** `POST /api/auth/password`. */
export class ChangePasswordDto {
  @ApiProperty({ example: 'correct horse battery staple', maxLength: PASSWORD_MAX_LENGTH })
  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSWORD_MAX_LENGTH)
  current_password: string;

  @NewPassword('The same rules as at registration')
  new_password: string;
}
