import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { z } from 'zod';
import { AGENT_TOOL, type AgentToolOptions } from './agent-tool.decorator.js';
import type { ToolContext } from './tool-context.js';
import { ToolRegistry } from './tool-registry.js';

/**
 * Finds `@AgentTool` methods on every provider at module init (the `@nestjs/schedule` explorer shape) and
 * registers them. `DiscoveryService.createDecorator` only indexes class decorators, so methods are scanned.
 * Request-scoped providers are refused: a tool must be callable outside any HTTP request's DI scope.
 */
@Injectable()
export class ToolExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly registry: ToolRegistry,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const { instance } = wrapper;
      if (!instance || typeof instance !== 'object') {
        this.refuseIfScopedTool(wrapper.metatype, wrapper.name);
        continue;
      }
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = (instance as Record<string, unknown>)[method];
        if (typeof fn !== 'function') continue;
        const options = this.reflector.get<AgentToolOptions | undefined>(AGENT_TOOL, fn);
        if (!options) continue;
        const source = `${instance.constructor.name}.${method}`;
        if (!wrapper.isDependencyTreeStatic()) {
          throw new Error(`@AgentTool "${options.name}" on ${source}: tools cannot live on request-scoped providers`);
        }
        this.registry.register({
          name: options.name,
          description: options.description,
          input: options.input,
          inputJsonSchema: toInputSchema(options.input, source),
          timeoutMs: options.timeoutMs,
          source,
          invoke: async (input: unknown, ctx: ToolContext) =>
            (fn as (i: unknown, c: ToolContext) => unknown).call(instance, input, ctx),
        });
      }
    }
  }

  /** Request-scoped providers have no instance at boot; look at their class for tool metadata instead. */
  private refuseIfScopedTool(metatype: unknown, name: unknown): void {
    if (typeof metatype !== 'function' || !metatype.prototype) return;
    for (const method of this.scanner.getAllMethodNames(metatype.prototype as object)) {
      const fn = (metatype.prototype as Record<string, unknown>)[method];
      const options =
        typeof fn === 'function' ? this.reflector.get<AgentToolOptions | undefined>(AGENT_TOOL, fn) : undefined;
      if (options) {
        throw new Error(
          `@AgentTool "${options.name}" on ${String(name)}.${method}: tools cannot live on request-scoped providers`,
        );
      }
    }
  }
}

function toInputSchema(schema: z.ZodType, source: string): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }) as Record<string, unknown>;
  if (json.type !== 'object') throw new Error(`@AgentTool on ${source}: input must be an object schema`);
  delete json.$schema;
  return json;
}
