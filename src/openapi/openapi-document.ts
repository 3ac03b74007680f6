import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject, type OperationObject } from '@nestjs/swagger';
import { PUBLIC_OPERATION_EXTENSION } from '../common/decorators/public.decorator.js';
import { describeProblemResponses, operations } from './problem-responses.js';

/** The OpenAPI 3 document served at /docs-json and rendered by Swagger UI at /docs. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Agent backend')
      .setDescription(
        'Hosts AI agents behind REST + SSE. Authenticate with `POST /api/auth/login` and send the token as ' +
          '`Authorization: Bearer <token>`. Every error is `application/problem+json` with a stable `code`; every ' +
          'response carries `X-Request-Id`. A person can also try it at `/playground`.',
      )
      .setVersion('0.1.0')
      .setLicense('MIT', 'https://opensource.org/licenses/MIT')
      // Relative: the document is right wherever it is served from, whatever host name or scheme reached it.
      .addServer('/', 'This server')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
      .addTag('auth', 'Accounts and tokens')
      .addTag('chat', 'Conversations with agents, streamed over SSE')
      .addTag('documents', 'Per-user documents and full-text search')
      .addTag('agents', 'Agent definitions and tools')
      .addTag('health', 'Liveness and readiness probes')
      .addTag('admin', 'Operator endpoints (admin role)')
      .build(),
  );
  markPublicOperations(document);
  describeUploadBody(document);
  describeProblemResponses(document);
  return document;
}

/** `@Public()` routes need no credentials: `security: []` (Nest's explorer drops an empty list, so it is set here). */
function markPublicOperations(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const [, operation] of operations(item)) {
      const extended = operation as OperationObject & Record<string, unknown>;
      if (extended[PUBLIC_OPERATION_EXTENSION] !== true) continue;
      delete extended[PUBLIC_OPERATION_EXTENSION];
      operation.security = [];
    }
  }
}

/**
 * One schema per media type for the upload, so Swagger UI shows a file picker for multipart and a JSON editor for
 * JSON, and a generated client types `file` as binary. `@ApiBody` takes one schema for every media type (no
 * `content`), which for this route could only be a `oneOf` of both.
 */
function describeUploadBody(document: OpenAPIObject): void {
  const upload = document.paths['/api/documents']?.post;
  if (!upload) return;
  upload.requestBody = {
    required: true,
    description: 'A file (multipart `file`, with an optional `title`), or the text itself as JSON `{title?, content}`',
    content: {
      'multipart/form-data': { schema: { $ref: '#/components/schemas/UploadDocumentFormDto' } },
      'application/json': { schema: { $ref: '#/components/schemas/CreateDocumentDto' } },
    },
  };
}
