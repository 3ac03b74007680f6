import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Authenticated } from '../common/decorators/authenticated.decorator.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { NoStore } from '../common/decorators/no-store.decorator.js';
import { Public } from '../common/decorators/public.decorator.js';
import { ProblemResponseDto } from '../common/errors/problem-response.dto.js';
import { ThrottleGroup } from '../common/throttling/throttle-group.decorator.js';
import type { AuthUser } from './auth-user.js';
import { AuthService } from './auth.service.js';
import { AccessTokenDto, MeDto, RegisteredUserDto } from './dto/auth-responses.dto.js';
import { ChangePasswordDto } from './dto/change-password.dto.js';
import { LoginDto } from './dto/login.dto.js';
import { RegisterDto } from './dto/register.dto.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @ThrottleGroup('register')
  @Post('register')
  @ApiOperation({ summary: 'Create an account' })
  @ApiCreatedResponse({ type: RegisteredUserDto })
  @ApiBadRequestResponse({
    type: ProblemResponseDto,
    description: 'Invalid email (a quoted local part too), short password or unknown field',
  })
  @ApiConflictResponse({
    type: ProblemResponseDto,
    description: 'Email already registered, in this or a look-alike spelling (EMAIL_TAKEN)',
  })
  @ApiTooManyRequestsResponse({
    type: ProblemResponseDto,
    description: 'Too many registrations from this address (RATE_LIMIT_REGISTER_PER_HOUR)',
  })
  register(@Body() dto: RegisterDto): Promise<RegisteredUserDto> {
    return this.auth.register(dto);
  }

  @Public()
  @ThrottleGroup('login')
  @Post('login')
  @HttpCode(200)
  @NoStore()
  @ApiOperation({ summary: 'Exchange credentials for a bearer token (starts a session)' })
  @ApiOkResponse({ type: AccessTokenDto })
  @ApiUnauthorizedResponse({ type: ProblemResponseDto, description: 'Wrong email or password' })
  @ApiTooManyRequestsResponse({
    type: ProblemResponseDto,
    description: 'Too many attempts for this account or address',
  })
  login(@Body() dto: LoginDto): Promise<AccessTokenDto> {
    return this.auth.login(dto);
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'The authenticated user' })
  @ApiOkResponse({ type: MeDto })
  me(@CurrentUser() user: AuthUser): Promise<MeDto> {
    return this.auth.me(user);
  }

  @Post('logout')
  @HttpCode(204)
  @Authenticated()
  @ApiOperation({
    summary: 'End the session of this token',
    description: 'From the response on, the token is refused (401) by every instance.',
  })
  @ApiNoContentResponse({ description: 'The session ended' })
  logout(@CurrentUser() user: AuthUser): Promise<void> {
    return this.auth.logout(user);
  }

  @Post('password')
  @HttpCode(204)
  @Authenticated()
  @ThrottleGroup('login')
  @ApiOperation({
    summary: 'Change the password and end every session',
    description:
      'Every token of the account, this one included, is refused (401) from the response on: sign in again with ' +
      'the new password. A wrong current password is a 400 naming `current_password` (the token stays valid).',
  })
  @ApiNoContentResponse({ description: 'Password changed; every session ended' })
  @ApiBadRequestResponse({
    type: ProblemResponseDto,
    description: 'Wrong current password, or a new password that registration would refuse',
  })
  @ApiTooManyRequestsResponse({ type: ProblemResponseDto, description: 'Too many attempts for this account' })
  changePassword(@CurrentUser() user: AuthUser, @Body() dto: ChangePasswordDto): Promise<void> {
    return this.auth.changePassword(user, dto);
  }
}
