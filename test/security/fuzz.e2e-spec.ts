import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { createDocument } from '../fixtures/documents/documents.factory.js';
import { createUser, type TestUser } from '../support/factories.js';
import { registeredRoutes, type RegisteredRoute } from '../support/routes.js';
import { parseSse } from '../support/sse.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** Cases per endpoint and kind of input; FUZZ_RUNS raises it for a longer local run, FUZZ_SEED replays one. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
/** Two minutes per test at the default count, more for a longer run. */
const TIMEOUT = 120_000 * Math.max(1, RUNS / 150);

const FIELDS = [
  ...['email', 'password', 'messages', 'conversation_id', 'agent', 'context', 'model', 'stream'],
  ...['title', 'content', 'q', 'limit', 'offset', 'role', 'user_id', 'roles', 'owner', '__proto__', 'constructor'],
];
/** Strings with everything that breaks naive code: NUL, lone surrogates, control and combining characters, SQL. */
const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    "' OR 1=1 --",
    '%00',
    '\u0000',
    '\ud800',
    '../../etc/passwd',
    '${7*7}',
    '<script>',
    'NaN',
    '-1',
    '1e400',
  ),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nastyString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 8 })), tie('node'), { maxKeys: 4 }),
  ),
})).node;
const message = fc.record({ role: fc.constantFrom('user', 'assistant', 'system', 'tool'), content: nastyString });
/** JSON bodies: anything at all, objects made of our field names, and near-valid chat and document requests. */
const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 5 }),
  fc.record(
    { messages: fc.array(message, { maxLength: 3 }), stream: fc.boolean(), context: value, agent: nastyString },
    { requiredKeys: ['messages'] },
  ),
  fc.record({ title: nastyString, content: nastyString }, { requiredKeys: [] }),
  fc.record({ email: fc.oneof(fc.emailAddress(), nastyString), password: nastyString }),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=latin1',
  'multipart/form-data; boundary=xyz',
  'multipart/form-data',
  'application/x-www-form-urlencoded',
  'text/plain',
  'application/octet-stream',
  '',
);

interface Attempt {
  status: number;
  text: string;
  type: string;
}

describe('Security: property-based fuzzing of every endpoint (e2e, fast-check)', () => {
  let t: TestApp;
  let alice: TestUser;
  let mallory: TestUser;
  let routes: RegisteredRoute[];
  let aliceIds: string[];
  let before: string;
  /** The 5xx answers of the current test, with the request that caused each. */
  const fiveHundreds: string[] = [];
  beforeEach(() => {
    fiveHundreds.length = 0;
  });

  /** Everything Alice owns, straight from the database, in a stable order. */
  async function aliceSnapshot(): Promise<string> {
    const db = t.app.get(DataSource);
    const tables = ['conversations', 'messages', 'runs', 'tool_calls', 'documents', 'document_chunks'];
    const out: Record<string, unknown> = {
      user: await db.query(`SELECT id, email, password_hash, roles FROM users WHERE id = $1`, [alice.id]),
    };
    for (const table of tables) {
      out[table] = await db.query(`SELECT * FROM ${table} WHERE user_id = $1 ORDER BY id`, [alice.id]);
    }
    return JSON.stringify(out);
  }

  beforeAll(async () => {
    const high = '100000';
    t = await startTestApp({
      env: {
        RATE_LIMIT_DEFAULT_PER_MINUTE: high,
        RATE_LIMIT_CHAT_PER_MINUTE: high,
        RATE_LIMIT_LOGIN_PER_MINUTE: high,
        RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE: high,
        RATE_LIMIT_REGISTER_PER_HOUR: high,
        MAX_CONCURRENT_RUNS_PER_USER: '1000',
      },
    });
    alice = await createUser(t);
    mallory = await createUser(t);
    const doc = await createDocument(t, alice, 'Alice keeps her fuzzing notes about pangolins here.', 'Pangolins');
    const chat = await t.http
      .post('/api/chat')
      .set(alice.auth)
      .send({ messages: [{ role: 'user', content: 'pangolins' }], stream: false })
      .expect(200);
    aliceIds = [doc.id, chat.body.conversation_id, chat.body.run_id, alice.id];
    routes = registeredRoutes(t.app);
    before = await aliceSnapshot();
  });
  afterAll(() => t.close());

  /** Logout ends the session it is called with: after its turn Mallory signs in again, so later routes see her. */
  async function afterTurn(route: RegisteredRoute): Promise<void> {
    if (route.path !== '/api/auth/logout') return;
    const login = await t.http.post('/api/auth/login').send({ email: mallory.email, password: mallory.password });
    const token = login.body.access_token as string;
    mallory = { ...mallory, token, auth: { Authorization: `Bearer ${token}` } };
  }

  /** One request as Mallory (or anonymous, or with a broken token); records any 5xx with what caused it. */
  async function send(
    route: RegisteredRoute,
    input: {
      path?: string;
      query?: string;
      body?: Uint8Array | string;
      type?: string;
      auth: 'mallory' | 'none' | 'junk';
    },
  ): Promise<Attempt> {
    const headers: Record<string, string> = {};
    if (input.auth === 'mallory') headers.authorization = mallory.auth.Authorization;
    if (input.auth === 'junk') headers.authorization = 'Bearer eyJhbGciOiJub25lIn0.e30.';
    if (input.type) headers['content-type'] = input.type;
    const hasBody = route.method !== 'GET' && route.method !== 'HEAD' && input.body !== undefined;
    const res = await fetch(`${t.url}${input.path ?? route.path}${input.query ?? ''}`, {
      method: route.method,
      headers,
      body: hasBody ? (input.body as RequestInit['body']) : undefined,
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    const streamFailed =
      type.startsWith('text/event-stream') &&
      parseSse(text).events.some((e) => e.event === 'error' && e.json?.code === 'INTERNAL_ERROR');
    if (res.status >= 500 || streamFailed) {
      fiveHundreds.push(
        `${route.method} ${input.path ?? route.path}${input.query ?? ''} -> ${res.status} ${text.slice(0, 200)}`,
      );
    }
    return { status: res.status, text, type };
  }

  const pathFor = (route: RegisteredRoute) =>
    fc
      .oneof(
        fc.constantFrom(...aliceIds),
        fc.uuid(),
        // A URL carries UTF-8 only (Buffer turns lone surrogates into U+FFFD); broken encodings come raw below.
        nastyString.map((s) => encodeURIComponent(Buffer.from(s).toString())),
        fc.constantFrom('%', '%zz', '%00', '%ED%A0%80', '%C0%80', '%FF', '..', '%2e%2e', 'search', '0'.repeat(300)),
      )
      .map((id) => route.path.replace(/:[A-Za-z_]+/g, id));
  const auth = fc.constantFrom<'mallory' | 'none' | 'junk'>('mallory', 'mallory', 'mallory', 'mallory', 'none', 'junk');

  it(
    'random JSON bodies, path ids and query strings never produce a 5xx',
    async () => {
      for (const route of routes) {
        const query = fc
          .dictionary(fc.constantFrom('q', 'limit', 'offset', 'x', 'q[]', '__proto__'), nastyString, { maxKeys: 3 })
          .map((d) => `?${new URLSearchParams(d).toString()}`)
          .chain((q) => fc.constantFrom(q, `${q}&q=%00`, `${q}&q=%ED%A0%80`, `${q}&limit=%FF`, '?q=%'));
        await fc.assert(
          fc.asyncProperty(pathFor(route), query, jsonBody, auth, async (path, q, body, who) => {
            const res = await send(route, {
              path,
              query: q,
              body: JSON.stringify(body),
              type: 'application/json',
              auth: who,
            });
            return res.status < 500;
          }),
          { numRuns: RUNS, seed: SEED, endOnFailure: true },
        );
        await afterTurn(route);
      }
      expect(fiveHundreds).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'random bytes with any content type never produce a 5xx',
    async () => {
      const bodyRoutes = routes.filter((r) => r.method !== 'GET');
      for (const route of bodyRoutes) {
        await fc.assert(
          fc.asyncProperty(
            fc.uint8Array({ maxLength: 2048 }),
            contentType,
            pathFor(route),
            async (bytes, type, path) => {
              const res = await send(route, { path, body: bytes, type, auth: 'mallory' });
              return res.status < 500;
            },
          ),
          { numRuns: Math.ceil(RUNS / 2), seed: SEED, endOnFailure: true },
        );
        await afterTurn(route);
      }
      expect(fiveHundreds).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'random files uploaded as multipart never produce a 5xx',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.uint8Array({ maxLength: 4096 }),
            nastyString.map((s) => new TextEncoder().encode(s)),
          ),
          fc.constantFrom('a.pdf', 'a.docx', 'a.html', 'a.txt', '', '../../x', 'a\u0000.md'),
          fc.option(nastyString, { nil: undefined }),
          async (bytes, filename, title) => {
            const form = new FormData();
            form.append('file', new Blob([bytes]), filename);
            if (title !== undefined) form.append('title', title);
            const res = await fetch(`${t.url}/api/documents`, {
              method: 'POST',
              headers: { authorization: mallory.auth.Authorization },
              body: form,
            });
            const text = await res.text();
            if (res.status >= 500) fiveHundreds.push(`upload ${filename} -> ${res.status} ${text.slice(0, 200)}`);
            return res.status < 500;
          },
        ),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      expect(fiveHundreds).toEqual([]);
    },
    TIMEOUT,
  );

  it("after all of it, not one of the victim's rows has changed", async () => {
    expect(await aliceSnapshot()).toBe(before);
    await t.http.get('/health').expect(200);
  });
});
