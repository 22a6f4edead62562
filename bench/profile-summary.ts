/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per package/area.
 * Usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top=25]
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  idleMs: number;
  busyMs: number;
  topFunctions: { function: string; where: string; selfMs: number; percentOfBusy: number }[];
  byArea: { area: string; selfMs: number; percentOfBusy: number }[];
  /** Busy time by layer, with Node's internals and builtins charged to the package that called them. */
  byLayer: { layer: string; selfMs: number; percentOfBusy: number }[];
  window?: { fromUs: number; toUs: number };
  /** Operations completed in the window (logins, grants, …): busy time is also shown per operation. */
  operations?: { name: string; count: number; busyMsEach: number };
}

/** Which layer of the portal a package belongs to, for the bottleneck summary. */
const LAYERS: [string, RegExp][] = [
  ['database: PGlite (PostgreSQL in wasm)', /^(@electric-sql\/pglite|pglite-prisma-adapter)$/],
  ['database: pg driver', /^(pg|pg-protocol|pg-pool|pg-types|postgres-.*|@prisma\/adapter-pg)$/],
  ['database: Prisma client', /^@prisma\//],
  ['Next.js page rendering', /^(next|react|react-dom|\.next|next-intl|app)$/],
  ['oidc-provider (+koa, jose)', /^(oidc-provider|koa|@koa\/.*|jose|quick-lru|eta|.*koa.*)$/],
  ['certificate parsing (asn1js, @peculiar)', /^(asn1js|@peculiar\/.*|pvtsutils|pvutils|tslib|reflect-metadata)$/],
  ['portal code (src/)', /^src\//],
  ['garbage collector', /^\(garbage collector\)$/],
];
const NODE_OWN = /^(node:|\(native\/builtin\)|\(program\)|\(anonymous\)|wasm\/)/;

/** Which package or part of the tree a script URL belongs to. */
function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native/builtin)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url.split('/')[0]!.replace(/^node:internal.*/, 'node:internal');
  const m = /\/(src|app|\.next|tests)\/(.*)$/.exec(url);
  if (m) return m[1] === 'src' ? `src/${m[2]!.split('/')[0]}` : m[1]!;
  return url.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
}

/**
 * `window` (CLOCK_MONOTONIC µs, the clock of process.hrtime and of the profile's startTime) limits
 * the summary to the samples taken during a measured run, leaving out start-up and warm-up.
 */
export function summariseProfile(file: string, top = 25, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  /** The nearest frame, leaf upwards, that is not Node's own: who asked for this work. */
  const callerArea = (id: number): string => {
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const { url, functionName } = byId.get(n)!.callFrame;
      const a = areaOf(url, functionName);
      if (!NODE_OWN.test(a) && functionName !== '(root)') return a;
    }
    return areaOf(byId.get(id)!.callFrame.url, byId.get(id)!.callFrame.functionName);
  };
  const layer = new Map<string, number>();
  const fn = new Map<string, { function: string; where: string; us: number }>();
  const area = new Map<string, number>();
  let idle = 0;
  let total = 0;
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    total += us;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    const short = url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '').replace(/^.*\/work\/main\//, '');
    const key = `${functionName}|${url}|${lineNumber}`;
    const entry = fn.get(key) ?? { function: functionName || '(anonymous)', where: url ? `${short}:${lineNumber + 1}` : '', us: 0 };
    entry.us += us;
    fn.set(key, entry);
    const a = areaOf(url, functionName);
    area.set(a, (area.get(a) ?? 0) + us);
    const caller = callerArea(id);
    const l = LAYERS.find(([, re]) => re.test(caller))?.[0] ?? (NODE_OWN.test(caller) ? 'Node.js internals (no caller on the stack)' : `other: ${caller}`);
    layer.set(l, (layer.get(l) ?? 0) + us);
  }
  const busy = total - idle;
  const pct = (us: number) => Math.round((1000 * us) / busy) / 10;
  return {
    file,
    totalMs: Math.round(total / 1000),
    idleMs: Math.round(idle / 1000),
    busyMs: Math.round(busy / 1000),
    topFunctions: [...fn.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({ function: e.function, where: e.where, selfMs: Math.round(e.us / 1000), percentOfBusy: pct(e.us) })),
    byArea: [...area]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ area: name, selfMs: Math.round(us / 1000), percentOfBusy: pct(us) })),
    byLayer: [...layer]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({ layer: name, selfMs: Math.round(us / 1000), percentOfBusy: pct(us) })),
    ...(window ? { window } : {}),
  };
}

export function printProfileSummary(s: ProfileSummary): void {
  console.log(`\nCPU profile ${s.file}: ${s.totalMs} ms sampled, ${s.idleMs} ms idle, ${s.busyMs} ms busy`);
  console.log('\nTop self time by function (% of busy time):');
  for (const f of s.topFunctions) console.log(`  ${String(f.percentOfBusy).padStart(5)}%  ${String(f.selfMs).padStart(6)} ms  ${f.function}  ${f.where}`);
  console.log('\nSelf time by package / area:');
  for (const a of s.byArea) console.log(`  ${String(a.percentOfBusy).padStart(5)}%  ${String(a.selfMs).padStart(6)} ms  ${a.area}`);
  const ops = s.operations;
  if (ops) console.log(`\n${ops.count} ${ops.name} in the window: ${ops.busyMsEach.toFixed(1)} ms of busy CPU each`);
  console.log("\nBusy time by layer (Node's internals charged to the package that called them):");
  for (const l of s.byLayer) {
    const each = ops ? `  ${((l.selfMs / s.busyMs) * ops.busyMsEach).toFixed(2).padStart(6)} ms per ${ops.name.replace(/s$/, '')}` : '';
    console.log(`  ${String(l.percentOfBusy).padStart(5)}%  ${String(l.selfMs).padStart(6)} ms${each}  ${l.layer}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printProfileSummary(summariseProfile(process.argv[2]!, Number(process.argv[3] ?? 25)));
}
