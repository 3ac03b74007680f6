import { Injectable } from '@nestjs/common';
import { DuplicateToolError } from '../agents.errors.js';
import type { RegisteredTool } from './registered-tool.js';

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Every `@AgentTool` in the application, by name. Fails loudly on a bad or duplicate name. */
@Injectable()
export class ToolRegistry {
  private readonly tools = new Map<string, RegisteredTool>();

  register(tool: RegisteredTool): void {
    if (!TOOL_NAME.test(tool.name)) {
      throw new Error(`@AgentTool name "${tool.name}" on ${tool.source} must match ${TOOL_NAME}`);
    }
    const existing = this.tools.get(tool.name);
    if (existing) {
      throw new DuplicateToolError(
        `Duplicate @AgentTool "${tool.name}": declared on ${existing.source} and on ${tool.source}`,
      );
    }
    this.tools.set(tool.name, tool);
  }

  get(name: string): RegisteredTool | undefined {
    return this.tools.get(name);
  }

  has(name: string): boolean {
    return this.tools.has(name);
  }

  list(): RegisteredTool[] {
    return [...this.tools.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}
