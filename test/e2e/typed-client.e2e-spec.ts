import { execFile } from 'node:child_process';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { artifactsDir } from '../support/artifacts.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const run = promisify(execFile);
const ROOT = join(__dirname, '../..');
const FIXTURE = join(ROOT, 'test/fixtures/typed-client');

/**
 * A typed client generated from the running app's /docs-json with openapi-typescript, type-checked with tsc and run
 * with openapi-fetch against the same app: register, login, uploads (multipart and JSON), search, chat, a 404.
 */
describe('A client generated from /docs-json (openapi-typescript + openapi-fetch)', () => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    t = await startTestApp();
    dir = artifactsDir('typed-client');
    rmSync(join(dir, 'out'), { recursive: true, force: true });
  });
  afterAll(() => t.close());

  it('generates, type-checks and drives the API', async () => {
    const document = await t.http.get('/docs-json').expect(200);
    writeFileSync(join(dir, 'docs.json'), document.text);
    await run(process.execPath, [
      join(FIXTURE, 'generate-types.mjs'),
      join(dir, 'docs.json'),
      join(dir, 'schema.d.ts'),
    ]);
    copyFileSync(join(FIXTURE, 'client.mts'), join(dir, 'client.mts'));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'ES2023',
          lib: ['ES2023'],
          types: ['node'],
          strict: true,
          skipLibCheck: true,
          outDir: 'out',
        },
        files: ['client.mts', 'schema.d.ts'],
      }),
    );

    const tsc = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir]).catch(
      (err: { stdout: string }) => err,
    );
    expect(tsc.stdout).toBe('');

    const { stdout } = await run(process.execPath, [join(dir, 'out/client.mjs'), t.url]);
    const result = JSON.parse(stdout);
    expect(result.registered).toMatch(/^typed-client-\d+@example\.com$/);
    expect(result.uploads).toEqual([
      { status: 201, title: 'Onboarding guide', chunks: 1 },
      { status: 201, title: 'Finance FAQ', mime: 'text/markdown' },
    ]);
    expect(result.search).toEqual(['Onboarding guide']);
    expect(result.chat).toMatchObject({ status: 'completed', tool: 'search_documents', total: 1 });
    expect(result.chat.answer).toContain('VPN access is granted by IT');
    expect(result.notFound).toEqual({
      status: 404,
      code: 'NOT_FOUND',
      type: expect.stringMatching(/^application\/problem\+json/),
    });
  });
});
