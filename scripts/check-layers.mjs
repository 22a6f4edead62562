// npm run check:layers (a step of npm test): the layer rules of .dependency-cruiser.cjs, checked by
// dependency-cruiser, and no cycle between the folders of src/ (computed here from the same graph:
// dependency-cruiser's own folder rules look at every sub-folder, not at src/<folder> as a whole).
// Exits 1 on any violation.
import { cruise, format } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

process.chdir(new URL('..', import.meta.url).pathname);

const ROOTS = ['src', 'app', 'server.ts', 'scripts', 'bench'];
/** Dependencies the config marks with this rule (severity info) are left out of the folder graph. */
const EXCEPTION_RULE = 'folder-cycle-exception';

const options = await extractDepcruiseOptions('./.dependency-cruiser.cjs');
const { output: result } = await cruise(ROOTS, options, {}, { tsConfig: extractTSConfig('./tsconfig.json') });
const report = await format(result, { outputType: 'err' });
process.stdout.write(report.output);

const folderOf = (file) => /^src\/([^/]+)\//.exec(file)?.[1];
/** folder → folder → the module dependencies behind that edge */
const edges = new Map();
for (const module of result.modules) {
  const from = folderOf(module.source);
  if (!from) continue;
  for (const dependency of module.dependencies) {
    const to = folderOf(dependency.resolved);
    if (!to || to === from) continue;
    if (dependency.rules?.some((rule) => rule.name === EXCEPTION_RULE)) continue;
    const targets = edges.get(from) ?? new Map();
    edges.set(from, targets);
    targets.set(to, [...(targets.get(to) ?? []), `${module.source} → ${dependency.resolved}${dependency.dependencyTypes.includes('type-only') ? ' (type-only)' : ''}`]);
  }
}

// Tarjan's strongly connected components: every component of more than one folder is a cycle.
const index = new Map();
const low = new Map();
const stack = [];
const cycles = [];
const visit = (folder) => {
  index.set(folder, index.size);
  low.set(folder, index.get(folder));
  stack.push(folder);
  for (const next of edges.get(folder)?.keys() ?? []) {
    if (!index.has(next)) {
      visit(next);
      low.set(folder, Math.min(low.get(folder), low.get(next)));
    } else if (stack.includes(next)) low.set(folder, Math.min(low.get(folder), index.get(next)));
  }
  if (low.get(folder) === index.get(folder)) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      component.push(member);
    } while (member !== folder);
    if (component.length > 1) cycles.push(component.sort());
  }
};
for (const folder of edges.keys()) if (!index.has(folder)) visit(folder);

/** The shortest way from `start` back to itself inside one component, as a list of folders. */
const shortestLoop = (start, component) => {
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const folder = queue.shift();
    for (const next of edges.get(folder)?.keys() ?? []) {
      if (!component.includes(next)) continue;
      if (next === start) {
        const loop = [folder];
        while (previous.get(loop[0]) !== null) loop.unshift(previous.get(loop[0]));
        return loop;
      }
      if (!previous.has(next)) {
        previous.set(next, folder);
        queue.push(next);
      }
    }
  }
  return [];
};

for (const component of cycles) {
  console.log(`\n  error no-cycles-between-folders: ${component.map((f) => `src/${f}`).join(', ')} depend on each other; the shortest cycles:`);
  const seen = new Set();
  for (const folder of component) {
    const loop = shortestLoop(folder, component);
    const first = loop.indexOf([...loop].sort()[0]);
    const key = [...loop.slice(first), ...loop.slice(0, first)].join(' ');
    if (seen.has(key)) continue;
    seen.add(key);
    console.log(`      ${[...loop, loop[0]].map((f) => `src/${f}`).join(' → ')}`);
    loop.forEach((from, i) => {
      const to = loop[(i + 1) % loop.length];
      const via = edges.get(from).get(to);
      console.log(`        src/${from} → src/${to}:`);
      for (const line of via.slice(0, 3)) console.log(`          ${line}`);
      if (via.length > 3) console.log(`          … and ${via.length - 3} more`);
    });
  }
}
if (cycles.length) console.log(`\nx ${cycles.length} cycle(s) between folders of src/ (see .dependency-cruiser.cjs, rule no-cycles-between-folders).`);
else console.log(`✔ no cycle between the folders of src/ (${edges.size} folders with outgoing dependencies).`);

process.exit(report.exitCode > 0 || cycles.length > 0 ? 1 : 0);
