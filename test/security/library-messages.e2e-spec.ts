import { createUser, type TestUser } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const B = 'XyZboundary';

/** A multipart body by hand: each part's headers and content, and whether the closing boundary comes. */
function multipart(parts: Array<{ headers: string[]; content: string }>, close = true): string {
  const body = parts.map((p) => `--${B}\r\n${p.headers.join('\r\n')}\r\n\r\n${p.content}\r\n`).join('');
  return close ? `${body}--${B}--\r\n` : body;
}
const field = (name: string, content: string) => ({
  headers: [`Content-Disposition: form-data; name="${name}"`],
  content,
});
const file = (name: string, content = 'some text') => ({
  headers: [`Content-Disposition: form-data; name="${name}"; filename="a.txt"`, 'Content-Type: text/plain'],
  content,
});

/** What multer and busboy say about these (the words that must not reach a client). */
const LIBRARY_WORDS =
  /Multipart:|Boundary not found|Malformed (part header|content type)|Unexpected (end of|field|file field)|Too many (parts|files|fields)|(Field name|Field value|File) too (long|large)|Field name missing|Unsupported content type|Missing Content-Type|Invalid field name|nesting too deep|index too large/;

describe('Security: library messages never reach clients (e2e)', () => {
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    t = await startTestApp();
    user = await createUser(t);
  });
  afterAll(() => t.close());

  const send = (contentType: string, body: string | Buffer) =>
    t.http.post('/api/documents').set(user.auth).set('Content-Type', contentType).send(body);
  const form = `multipart/form-data; boundary=${B}`;

  const boundaryless = 'multipart/form-data';
  const cases: Array<[string, string, () => string | Buffer, number, string, RegExp, string | undefined]> = [
    // [case, content type, body, status, code, our detail, the field `errors` names (or undefined)]
    [
      'a multipart body without a boundary',
      boundaryless,
      () => 'x',
      400,
      'VALIDATION_FAILED',
      /no boundary/,
      undefined,
    ],
    [
      'a part header that cannot be read',
      form,
      () => `--${B}\r\nContent-Disposition form-data\u0000\r\n\r\nx\r\n--${B}--\r\n`,
      400,
      'VALIDATION_FAILED',
      /a part header|does not have the fields/,
      undefined,
    ],
    [
      'a form cut before its closing boundary',
      form,
      () => multipart([file('file')], false),
      400,
      'VALIDATION_FAILED',
      /ends before its closing boundary/,
      undefined,
    ],
    [
      'a file in an unexpected field',
      form,
      () => multipart([file('attachment')]),
      400,
      'VALIDATION_FAILED',
      /does not have the fields/,
      'attachment',
    ],
    [
      'two files',
      form,
      () => multipart([file('file'), file('file', 'other')]),
      400,
      'VALIDATION_FAILED',
      /does not have the fields/,
      'body',
    ],
    [
      'too many parts',
      form,
      () => multipart([file('file'), ...Array.from({ length: 6 }, (_, i) => field(`f${i}`, 'x'))]),
      400,
      'VALIDATION_FAILED',
      /does not have the fields/,
      'body',
    ],
    [
      'a field value over its limit',
      form,
      () => multipart([file('file'), field('title', 't'.repeat(70 * 1024))]),
      413,
      'PAYLOAD_TOO_LARGE',
      /field value is longer than this endpoint accepts/,
      undefined,
    ],
    [
      'a file over the upload limit',
      form,
      () => Buffer.from(multipart([file('file', 'x'.repeat(25 * 1024 * 1024 + 1))])),
      413,
      'PAYLOAD_TOO_LARGE',
      /file is larger than this endpoint accepts/,
      undefined,
    ],
  ];

  it.each(cases)('%s: our own detail and code', async (_, type, body, status, code, detail, errorField) => {
    const res = await send(type, body());
    expect([res.status, res.body.code]).toEqual([status, code]);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(detail);
    expect(res.text).not.toMatch(LIBRARY_WORDS);
    if (errorField) expect(res.body.errors).toContainEqual({ field: errorField, message: expect.any(String) });
  });
});
