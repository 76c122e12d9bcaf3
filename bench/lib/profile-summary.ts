/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per module, where a module is an
 * npm package (`graphql`, `@pothos/core`), a project file (`src/rest/handler.ts`) or a node built-in. Self time is
 * sample count × sampling interval, attributed to the node the sample landed in.
 *
 * CLI: `tsx bench/lib/profile-summary.ts FILE.cpuprofile [topN]`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  readonly name: string;
  readonly ms: number;
  readonly percent: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Samples outside JavaScript: idle, GC, the engine's own work. */
  readonly special: SelfTime[];
  readonly functions: SelfTime[];
  readonly modules: SelfTime[];
  /** Time with the module anywhere on the stack (each sample counted once per module): where whole requests go. */
  readonly inclusiveModules: SelfTime[];
}

/** `file:///…/node_modules/@pothos/core/esm/x.js` → `@pothos/core`; project files relative to the root. */
export function moduleOf(url: string, root: string): string {
  if (url === '') return '(native/V8)';
  // Per built-in file (node:internal/deps/undici/undici is fetch/Request, node:_http_server the HTTP layer).
  if (url.startsWith('node:')) return url;
  const path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const parts = path.slice(nm + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (path.startsWith(`${root}/`)) return path.slice(root.length + 1);
  return path;
}

const SPECIAL = new Set(['(idle)', '(garbage collector)', '(program)', '(root)']);

/**
 * Monotonic-clock microseconds (`process.hrtime.bigint() / 1000n` in any process on the machine: V8 stamps samples
 * with the same CLOCK_MONOTONIC on Linux). Only samples inside the window count, so start-up (module loading and
 * compiling) does not drown the request path.
 */
export interface ProfileWindow {
  readonly fromUs: number;
  readonly toUs: number;
}

/**
 * The profiled gateway is the esbuild bundle (dist/chunks/*.js): each frame in a file with a source map beside it
 * (`npm run build` writes them) is moved to its original file and position, so that the summary names
 * `src/graphql/fast-path.ts` rather than a chunk. Frames without a map are kept as they are.
 */
function toSources(profile: CpuProfile): CpuProfile {
  const maps = new Map<string, { map: SourceMap; dir: string } | null>();
  const mapFor = (url: string) => {
    if (!maps.has(url)) {
      const file = url.startsWith('file://') ? fileURLToPath(url) : url;
      const mapFile = `${file}.map`;
      maps.set(url, file.endsWith('.js') && existsSync(mapFile) ? { map: new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload), dir: path.dirname(mapFile) } : null);
    }
    return maps.get(url)!;
  };
  const nodes = profile.nodes.map((node) => {
    const { url, lineNumber, columnNumber } = node.callFrame;
    const found = url === '' ? null : mapFor(url);
    const entry = found?.map.findEntry(lineNumber, columnNumber);
    if (!found || !entry || !('originalSource' in entry) || !entry.originalSource) return node;
    const source = entry.originalSource.startsWith('file://') ? entry.originalSource : pathToFileURL(path.resolve(found.dir, entry.originalSource)).href;
    return { ...node, callFrame: { ...node.callFrame, url: source, lineNumber: entry.originalLine, columnNumber: entry.originalColumn } };
  });
  return { ...profile, nodes };
}

export function summariseProfile(original: CpuProfile, root: string, top = 15, window?: ProfileWindow): ProfileSummary {
  const profile = toSources(original);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the gap before sample i; the gap after it is its duration (the next delta).
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    const duration = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, duration));
  }
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || SPECIAL.has(frame.functionName) || frame.url === '') continue;
      seen.add(moduleOf(frame.url, root));
    }
    for (const module of seen) inclusive.set(module, (inclusive.get(module) ?? 0) + us);
  }
  const functions = new Map<string, number>();
  const modules = new Map<string, number>();
  const special = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    if (SPECIAL.has(frame.functionName)) {
      special.set(frame.functionName, (special.get(frame.functionName) ?? 0) + us);
      continue;
    }
    const module = moduleOf(frame.url, root);
    const fn = `${frame.functionName || '(anonymous)'} — ${module}${frame.url ? `:${frame.lineNumber + 1}:${frame.columnNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
    modules.set(module, (modules.get(module) ?? 0) + us);
  }
  const rank = (m: Map<string, number>, n: number): SelfTime[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000, percent: totalUs === 0 ? 0 : (100 * us) / totalUs }));
  return { totalMs: totalUs / 1000, special: rank(special, 10), functions: rank(functions, top), modules: rank(modules, top), inclusiveModules: rank(inclusive, top) };
}

export function formatSummary(summary: ProfileSummary): string {
  const table = (title: string, rows: readonly SelfTime[]) =>
    [`| ${title} | self ms | % of profile |`, '|---|---:|---:|', ...rows.map((r) => `| ${r.name.replaceAll('|', '\\|')} | ${r.ms.toFixed(0)} | ${r.percent.toFixed(1)} |`)].join('\n');
  return [
    `Profile: ${(summary.totalMs / 1000).toFixed(1)} s sampled.`,
    '',
    table('Outside JS', summary.special),
    '',
    table('Module (self time)', summary.modules),
    '',
    table('Module (on the stack: self + callees)', summary.inclusiveModules),
    '',
    table('Function (self time)', summary.functions),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: tsx bench/lib/profile-summary.ts FILE.cpuprofile [topN]\n');
    process.exit(2);
  }
  const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  // bench/run.ts writes the measured window beside the profile; without it the whole profile (start-up too) counts.
  let window: ProfileWindow | undefined;
  try {
    window = JSON.parse(readFileSync(file.replace(/\.cpuprofile$/, '.window.json'), 'utf8')) as ProfileWindow;
  } catch {
    window = undefined;
  }
  process.stdout.write(`${formatSummary(summariseProfile(profile, root, Number(process.argv[3] ?? 15), window))}\n`);
}
