import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ERROR_CATALOGUE, type ErrorCode } from '../../src/common/errors/error-catalogue.js';
import { artifactsDir } from '../support/artifacts.js';
import { createUser, type TestUser } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

type Json = any;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const PUBLIC_OPERATIONS = ['GET /health', 'GET /ready', 'POST /api/auth/login', 'POST /api/auth/register'];

function operations(doc: Json): Array<{ key: string; path: string; operation: Json }> {
  return Object.entries<Json>(doc.paths).flatMap(([path, item]) =>
    Object.entries<Json>(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, path, operation })),
  );
}

describe('OpenAPI document and Swagger UI (e2e)', () => {
  let t: TestApp;
  let doc: Json;
  let alice: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    doc = (await t.http.get('/docs-json').expect(200)).body;
    alice = await createUser(t);
  });
  afterAll(() => t.close());

  it('names a server, relative to wherever the document is served', () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
    expect(doc.info.license).toMatchObject({ name: 'MIT' });
  });

  it('marks exactly the public routes `security: []`; every other operation needs the bearer token', () => {
    const open = operations(doc)
      .filter(({ operation }) => Array.isArray(operation.security) && operation.security.length === 0)
      .map(({ key }) => key);
    expect(open.sort()).toEqual([...PUBLIC_OPERATIONS].sort());
    for (const { key, operation } of operations(doc)) {
      if (PUBLIC_OPERATIONS.includes(key)) continue;
      expect([key, operation.security]).toEqual([key, [{ bearer: [] }]]);
    }
    expect(JSON.stringify(doc)).not.toContain('x-public');
  });

  it('gives the upload one schema per media type: a binary `file` for multipart, required `content` for JSON', () => {
    const body = doc.paths['/api/documents'].post.requestBody;
    const ref = (media: string) => body.content[media].schema.$ref.split('/').pop();
    expect(Object.keys(body.content).sort()).toEqual(['application/json', 'multipart/form-data']);
    const form = doc.components.schemas[ref('multipart/form-data')];
    expect(form.properties.file).toMatchObject({ type: 'string', format: 'binary' });
    expect(form.required).toEqual(['file']);
    const json = doc.components.schemas[ref('application/json')];
    expect(json.required).toEqual(['content']);
    expect(json.properties.file).toBeUndefined();
    expect(JSON.stringify(body)).not.toContain('oneOf');
  });

  it('shows every error as application/problem+json, with an example of each code the status stands for', () => {
    let checked = 0;
    for (const { key, operation } of operations(doc)) {
      for (const [status, response] of Object.entries<Json>(operation.responses)) {
        if (Number(status) < 400 || key === 'GET /ready') continue;
        expect([key, status, Object.keys(response.content)]).toEqual([key, status, ['application/problem+json']]);
        const examples = Object.entries<Json>(response.content['application/problem+json'].examples);
        expect(examples.length).toBeGreaterThan(0);
        for (const [name, example] of examples) {
          const code = name as ErrorCode;
          expect(ERROR_CATALOGUE[code]?.status).toBe(Number(status));
          expect(example.value).toMatchObject({ status: Number(status), code, title: ERROR_CATALOGUE[code].title });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
    const chat = doc.paths['/api/chat'].post.responses;
    expect(Object.keys(chat['409'].content['application/problem+json'].examples)).toEqual([
      'CONVERSATION_BUSY',
      'CONVERSATION_CHANGED',
      'IDEMPOTENCY_IN_PROGRESS',
    ]);
    expect(
      Object.keys(doc.paths['/api/auth/register'].post.responses['409'].content['application/problem+json'].examples),
    ).toEqual(['EMAIL_TAKEN']);
    expect(doc.components.schemas.ProblemResponseDto.properties.code.allOf).toEqual([
      { $ref: '#/components/schemas/ErrorCode' },
    ]);
    expect(doc.components.schemas.ErrorCode.enum).toEqual(Object.keys(ERROR_CATALOGUE));
  });

  it('documents X-Request-Id on every response and Retry-After on 429 and 503', () => {
    expect(doc.components.headers['X-Request-Id'].schema).toMatchObject({ type: 'string' });
    expect(doc.components.headers['Retry-After'].schema).toMatchObject({ type: 'integer' });
    let retryAfter = 0;
    for (const { key, operation } of operations(doc)) {
      for (const [status, response] of Object.entries<Json>(operation.responses)) {
        expect([key, status, response.headers?.['X-Request-Id']]).toEqual([
          key,
          status,
          { $ref: '#/components/headers/X-Request-Id' },
        ]);
        if (status === '429' || status === '503') {
          expect(response.headers['Retry-After']).toEqual({ $ref: '#/components/headers/Retry-After' });
          retryAfter++;
        }
      }
    }
    expect(retryAfter).toBeGreaterThan(2);
    expect(doc.paths['/api/chat'].post.responses['200'].headers['Idempotent-Replayed']).toBeDefined();
  });

  it('types a tool result as a JSON object, and a failed run’s error as its fields', () => {
    const schemas = doc.components.schemas;
    expect(schemas.ToolCallDto.properties.result).toMatchObject({ type: 'object', additionalProperties: true });
    expect(schemas.ChatResponseDto.properties.error.allOf).toEqual([{ $ref: '#/components/schemas/RunErrorDto' }]);
  });

  it('every chat example runs unchanged against a fresh account', async () => {
    const examples = Object.values<Json>(doc.paths['/api/chat'].post.requestBody.content['application/json'].examples);
    expect(examples.length).toBeGreaterThan(0);
    for (const { value } of examples) {
      expect(value.conversation_id).toBeUndefined();
      const res = await t.http.post('/api/chat').set(alice.auth).send(value);
      expect([res.status, res.text]).toEqual([200, expect.stringMatching(/completed/)]);
    }
  });

  it('passes `redocly lint` with the recommended rules, without errors', async () => {
    const file = join(artifactsDir('openapi'), 'docs.json');
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const { stdout } = await promisify(execFile)(
      join(__dirname, '../../node_modules/.bin/redocly'),
      ['lint', '--extends=recommended', '--format=json', file],
      { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
    ).catch((err: { stdout: string }) => err);
    const report = JSON.parse(stdout.slice(stdout.indexOf('{')));
    const errors = report.problems.filter((p: Json) => p.severity === 'error').map((p: Json) => p.message);
    expect(errors).toEqual([]);
    expect(report.totals.errors).toBe(0);
  });

  it('serves Swagger UI without forcing https: no upgrade-insecure-requests, no HSTS over plain HTTP', async () => {
    const page = await t.http.get('/docs/').expect(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(page.headers['content-security-policy']).not.toMatch(/upgrade-insecure-requests/);
    expect(page.headers['strict-transport-security']).toBeUndefined();
  });
});
