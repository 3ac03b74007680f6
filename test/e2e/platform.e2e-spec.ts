import { CanActivate, Controller, ExecutionContext, Get, Injectable, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Request } from 'express';
import { Public } from '../../src/common/decorators/public.decorator.js';
import { ExpressHttpAdapter } from '../../src/common/http/express-http-adapter.js';
import { concretePath, registeredRoutes } from '../support/routes.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** A test-only route that fails the way a bug would, to prove 500s leak nothing. */
@Controller('test-failure')
class FailingController {
  @Public()
  @Get()
  fail(): never {
    throw new Error('secret internals: password=hunter2 at /srv/app/db.ts:42');
  }
}

/** Records which requests reach Nest's guard chain (to show that liveness probes do not). */
@Injectable()
class RecordingGuard implements CanActivate {
  static readonly seen: string[] = [];
  static last?: Request;
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    RecordingGuard.seen.push(`${req.method} ${req.path}`);
    RecordingGuard.last = req;
    return true;
  }
}

@Module({ controllers: [FailingController], providers: [{ provide: APP_GUARD, useClass: RecordingGuard }] })
class FailingModule {}

// Routes a client may call without a token. Adding a public route means adding it here, on purpose.
const PUBLIC_ROUTES = new Set([
  'GET /health',
  'GET /ready',
  'POST /api/auth/register',
  'POST /api/auth/login',
  'GET /docs',
  'GET /docs-json',
  'GET /api/test-failure',
]);

describe('Platform: errors, headers, docs, route protection (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ imports: [FailingModule], env: { CORS_ORIGINS: 'https://app.example.com' } });
  });
  afterAll(() => t.close());

  it('GET /health is public and alive', async () => {
    const res = await t.http.get('/health').expect(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('tells clients how long it keeps an idle connection open: longer than the usual proxy idle timeout (60 s)', async () => {
    const res = await t.http.get('/health').set('Connection', 'keep-alive').expect(200);
    expect(res.headers['keep-alive']).toBe('timeout=65');
  });

  it('serves requests that Node made as Express objects (Express never switches their prototype)', async () => {
    await t.http.get('/ready').expect(200);
    const express = t.app.getHttpAdapter().getInstance() as { request: object; response: object };
    expect(t.app.getHttpAdapter()).toBeInstanceOf(ExpressHttpAdapter);
    expect(RecordingGuard.last?.constructor.name).toBe('ExpressRequest');
    expect(Object.getPrototypeOf(RecordingGuard.last)).toBe(express.request);
    expect(Object.getPrototypeOf(RecordingGuard.last?.res)).toBe(express.response);
  });

  it('answers GET /health before the guard chain, and only that path and method', async () => {
    RecordingGuard.seen.length = 0;
    const live = await t.http.get('/health').set('X-Request-Id', 'probe-1').expect(200);
    expect(live.body).toEqual({ status: 'ok' });
    expect(live.headers).toMatchObject({
      'x-request-id': 'probe-1',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    expect(live.headers['content-type']).toMatch(/^application\/json/);
    await t.http.head('/health').expect(200);
    await t.http.get('/ready').expect(200);
    expect(RecordingGuard.seen).toEqual(['GET /ready']);
    await t.http.post('/health').send({}).expect(404);
    await t.http.get('/health/extra').expect(404);
    await t.http.get('/api/health').expect(404);
  });

  it('GET /ready reports the database and the provider', async () => {
    const res = await t.http.get('/ready').expect(200);
    expect(res.body).toMatchObject({
      status: 'ready',
      database: true,
      llm_provider: 'offline',
      database_kind: t.db.kind,
    });
  });

  it('every registered route that is not deliberately public answers 401 without a token', async () => {
    const routes = registeredRoutes(t.app);
    expect(routes.length).toBeGreaterThan(5);
    const open: string[] = [];
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      if (PUBLIC_ROUTES.has(key)) continue;
      const res = await t.http[route.method.toLowerCase() as 'get'](concretePath(route.path)).send({});
      if (res.status !== 401) open.push(`${key} -> ${res.status}`);
    }
    expect(open).toEqual([]);
  });

  it('/docs-json documents every route the app registers, and nothing else', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    const documented = new Set<string>();
    for (const [path, item] of Object.entries<Record<string, unknown>>(doc.paths)) {
      for (const method of Object.keys(item))
        documented.add(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
    }
    const registered = registeredRoutes(t.app).map((r) => `${r.method} ${r.path}`);
    expect(new Set(registered)).toEqual(documented);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/api/auth/me'].get.security).toEqual([{ bearer: [] }]);
    expect(doc.components.schemas.ProblemResponseDto).toBeDefined();
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await t.http.get('/docs').redirects(1).expect(200);
    expect(res.text).toMatch(/swagger/i);
  });

  it('unknown routes are a 404 problem', async () => {
    const res = await t.http.get('/api/does-not-exist').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, code: 'NOT_FOUND', instance: '/api/does-not-exist' });
  });

  it('a 500 says only "Internal server error" and the request id', async () => {
    const res = await t.http.get('/api/test-failure').set('X-Request-Id', 'trace-me-123').expect(500);
    expect(res.body).toEqual({
      type: '/problems/internal-error',
      title: 'Internal server error',
      status: 500,
      detail: 'Internal server error',
      instance: '/api/test-failure',
      request_id: 'trace-me-123',
      code: 'INTERNAL_ERROR',
    });
    expect(res.text).not.toMatch(/hunter2|secret internals|db\.ts/);
  });

  it('echoes a well-formed X-Request-Id and generates one otherwise', async () => {
    const echoed = await t.http.get('/health').set('X-Request-Id', 'abc-123');
    expect(echoed.headers['x-request-id']).toBe('abc-123');
    const generated = await t.http.get('/health').set('X-Request-Id', 'has spaces <script>');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers and no X-Powered-By', async () => {
    const res = await t.http.get('/ready');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBeDefined();
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('allows CORS only for listed origins', async () => {
    const ok = await t.http
      .options('/api/auth/me')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'GET');
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const denied = await t.http
      .options('/api/auth/me')
      .set('Origin', 'https://evil.example.com')
      .set('Access-Control-Request-Method', 'GET');
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
  });
});
