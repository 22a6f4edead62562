// The layer rules of the portal. `npm run check:layers` (scripts/check-layers.mjs, a step of
// `npm test`) checks them with dependency-cruiser and exits 1 on a violation. README.md
// (Architecture → Layers) says the same in prose: change both together.
//
//   app       app/ (Next.js pages), server.ts (the one process)
//   http      src/http: JSON endpoints, the CSC API, request handling, listeners
//   domain    src/{admin,auth,clients,oidc,portal,portal-session,practitioners,signing,demo}
//   services  src/{pki,audit}
//   ground    src/{config,crypto,db,errors,generated,i18n,limits,net}
//
// A layer imports only layers below it, and folders of its own layer; type-only imports count.
// Between the folders of src/ there is no cycle (rule no-cycles-between-folders, computed by
// scripts/check-layers.mjs over the whole folder). src/demo is loaded only in demo mode.
const DOMAIN = 'admin|auth|clients|oidc|portal|portal-session|practitioners|signing|demo';
const SERVICES = 'pki|audit';
const GROUND = 'config|crypto|db|errors|generated|i18n|limits|net';

/** Test harnesses, not production code: they may import tests/, the demo and the test PKI. */
const HARNESSES = 'tests/|bench/|scripts/reliability/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'nothing-imports-app',
      comment: 'app/ and server.ts are the top: the pages and the process entry. Nothing outside app/ imports them.',
      severity: 'error',
      from: { pathNot: '^app/' },
      to: { path: '^(app/|server\\.ts$)' },
    },
    {
      name: 'production-never-imports-tests',
      comment:
        'src/, app/, server.ts and the commands in scripts/ never import tests/. The benchmark (bench/) and the ' +
        'reliability run (scripts/reliability/) are test harnesses and may.',
      severity: 'error',
      from: { path: '^(src/|app/|server\\.ts$|scripts/)', pathNot: '^scripts/reliability/' },
      to: { path: '^tests/' },
    },
    {
      name: 'http-only-from-app',
      comment: 'src/http is imported only by app/ and server.ts: the domain and below never import it (they are given what they need).',
      severity: 'error',
      from: { path: `^src/(${DOMAIN}|${SERVICES}|${GROUND})/` },
      to: { path: '^src/http/' },
    },
    {
      name: 'domain-only-from-above',
      comment: 'pki, audit and the ground never import a domain folder.',
      severity: 'error',
      from: { path: `^src/(${SERVICES}|${GROUND})/` },
      to: { path: `^src/(${DOMAIN})/` },
    },
    {
      name: 'services-only-from-above',
      comment: 'The ground never imports pki or audit.',
      severity: 'error',
      from: { path: `^src/(${GROUND})/` },
      to: { path: `^src/(${SERVICES})/` },
    },
    {
      name: 'demo-only-lazily',
      comment:
        'src/demo is loaded only in demo mode: outside src/demo it is reached by import() behind env.demo (a type-only ' +
        'import is erased and allowed). scripts/demo-rp.ts is the demo command itself. ' +
        'tests/integration/demo-lazy-loading.test.ts starts the portal with DEMO=false and checks that no demo module loaded.',
      severity: 'error',
      from: { pathNot: `^(src/demo/|scripts/demo-rp\\.ts$|${HARNESSES})` },
      to: { path: '^src/demo/', dependencyTypesNot: ['dynamic-import', 'type-only'] },
    },
    {
      name: 'test-pki-only-for-demo-and-tests',
      comment:
        'src/pki/test-pki issues the test PKI (test MHLW-style root, HPKI and JPKI CAs, practitioners, CRLs, an OCSP ' +
        'responder). The demo and the tests use it; production code never does.',
      severity: 'error',
      from: { pathNot: `^(src/pki/test-pki/|src/demo/|${HARNESSES})` },
      to: { path: '^src/pki/test-pki/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve would hide a dependency from every rule above.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    // no-cycles-between-folders: scripts/check-layers.mjs (dependency-cruiser's folder rules see every
    // sub-folder on its own, so a cycle src/a → src/b/x, src/b/y → src/a would pass them).
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(src/generated/|\\.next/|tests/e2e/\\.tmp/)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.mts', '.js', '.mjs', '.json'], exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
