import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  /** Share of the non-idle samples. */
  percent: number;
}

/** Where a frame's code lives: a package, Node's internals, the app's own code, or V8's pseudo-frames. */
function origin(url: string, name: string): string {
  if (!url) return `(${name.replace(/[()]/g, '') || 'native'})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node internals';
  const app = /\/dist\/(src\/.*)$/.exec(url);
  return app ? `app ${app[1].split('/').slice(0, 2).join('/')}` : url;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/');
  return `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`;
}

/**
 * Self time per function and per origin from a V8 `.cpuprofile` (node --cpu-prof). Samples are taken at a fixed
 * interval, so a node's hit count times the mean interval is its self time. Idle samples are left out of the shares.
 */
export function summarizeProfile(
  path: string,
  top = 20,
): { functions: SelfTime[]; origins: SelfTime[]; busyMs: number } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const interval = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const byFunction = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const count = hits.get(node.id) ?? 0;
    if (!count || node.callFrame.functionName === '(idle)') continue;
    busy += count;
    const fn = frameName(node);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + count);
    const from = origin(node.callFrame.url, node.callFrame.functionName);
    byOrigin.set(from, (byOrigin.get(from) ?? 0) + count);
  }
  const rank = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, count]) => ({ name, ms: count * interval, percent: (100 * count) / Math.max(1, busy) }));
  return { functions: rank(byFunction, top), origins: rank(byOrigin, 12), busyMs: busy * interval };
}

export function renderProfile(summary: ReturnType<typeof summarizeProfile>): string {
  const line = (s: SelfTime) => `  ${s.percent.toFixed(1).padStart(5)}%  ${s.ms.toFixed(0).padStart(7)} ms  ${s.name}`;
  return [
    `App CPU profile: ${(summary.busyMs / 1000).toFixed(1)} s busy (idle excluded)`,
    'Self time by origin:',
    ...summary.origins.map(line),
    'Top functions by self time:',
    ...summary.functions.map(line),
  ].join('\n');
}
