import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { UserEntity } from './entities/user.entity.js';
import { PasswordHasher } from './password-hasher.js';
import { jwtHmacKey } from './jwt-key.js';
import { AuthSessionsRepository } from './sessions/auth-sessions.repository.js';
import { SessionsService } from './sessions/sessions.service.js';
import { JwtStrategy } from './strategies/jwt.strategy.js';
import { UsersRepository } from './users.repository.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([UserEntity]),
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        secret: jwtHmacKey(config.jwt.secret),
        signOptions: {
          algorithm: 'HS256',
          expiresIn: config.jwt.expiresInSeconds,
          issuer: config.jwt.issuer,
          audience: config.jwt.audience,
        },
        verifyOptions: { algorithms: ['HS256'], issuer: config.jwt.issuer, audience: config.jwt.audience },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [AuthService, UsersRepository, PasswordHasher, JwtStrategy, AuthSessionsRepository, SessionsService],
  exports: [UsersRepository, JwtStrategy],
})
export class AuthModule {}
