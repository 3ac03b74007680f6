import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export function setupSwagger(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Agent backend')
      .setDescription(
        'Hosts AI agents behind REST + SSE. Authenticate with `POST /api/auth/login` and send the token as ' +
          '`Authorization: Bearer <token>`. Every error is `application/problem+json`.',
      )
      .setVersion('0.1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
      .addTag('auth', 'Accounts and tokens')
      .addTag('chat', 'Conversations with agents, streamed over SSE')
      .addTag('documents', 'Per-user documents and full-text search')
      .addTag('agents', 'Agent definitions and tools')
      .addTag('health', 'Liveness and readiness probes')
      .addTag('admin', 'Operator endpoints (admin role)')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', raw: ['json'] });
}
