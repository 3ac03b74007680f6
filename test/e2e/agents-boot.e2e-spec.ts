import { Injectable, Module, Scope } from '@nestjs/common';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { AgentTool } from '../../src/agents/tools/agent-tool.decorator.js';
import { startTestApp } from '../support/test-app.js';
import { TestToolsModule } from '../support/test-tools.module.js';

const Input = z.object({ q: z.string().describe('query') });

@Injectable()
class DuplicateEcho {
  @AgentTool({ name: 'echo', description: 'A second echo', input: Input })
  echo() {
    return {};
  }
}
@Module({ providers: [DuplicateEcho] })
class DuplicateToolModule {}

@Injectable({ scope: Scope.REQUEST })
class ScopedTool {
  @AgentTool({ name: 'scoped', description: 'Request-scoped', input: Input })
  run() {
    return {};
  }
}
@Module({ providers: [ScopedTool] })
class ScopedToolModule {}

describe('Agent runtime boot checks (e2e)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agents-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('refuses to boot when two @AgentTool methods share a name', async () => {
    await expect(startTestApp({ imports: [TestToolsModule, DuplicateToolModule] })).rejects.toThrow(
      /Duplicate @AgentTool "echo".*TestTools\.echo.*DuplicateEcho\.echo/,
    );
  });

  it('refuses a tool on a request-scoped provider', async () => {
    await expect(startTestApp({ imports: [ScopedToolModule] })).rejects.toThrow(/"scoped".*request-scoped/);
  });

  it.each([
    ['a missing prompt', 'name: x1\ndescription: d\ntools: []\n', /field "system_prompt" exactly one of/],
    [
      'an unknown field',
      'name: x2\ndescription: d\nsystem_prompt: p\ncolour: red\n',
      /field "\(root\)".*colour|Unrecognized key.*colour/,
    ],
    [
      'an unknown tool',
      'name: x3\ndescription: d\nsystem_prompt: p\ntools: [nope]\n',
      /field "tools" names unknown tool "nope"/,
    ],
    [
      'a bad max_iterations',
      'name: x4\ndescription: d\nsystem_prompt: p\nmax_iterations: 0\n',
      /field "max_iterations"/,
    ],
    ['broken YAML', 'name: [unclosed\n', /not valid YAML/],
  ])('refuses an agent definition with %s, naming the file and field', async (_, yaml, message) => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, yaml);
    const boot = startTestApp({ env: { AGENTS_DIR: dir } });
    await expect(boot).rejects.toThrow(message);
    await expect(boot).rejects.toThrow(file);
  });
});
