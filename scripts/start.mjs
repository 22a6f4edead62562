// npm start: builds the Next.js pages when the build is missing or older than the sources, then runs
// the one portal process in production mode (embedded database and demo data unless configured).
// npm run serve (--no-build): the same process on the build as it is.
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { portalEnv, portalNodeArgs } from './portal-node-args.mjs';

const root = path.resolve(import.meta.dirname, '..');
const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  console.warn(`[portal] Node.js ${process.versions.node} is end-of-life here; use Node.js 22 LTS (see .nvmrc).`);
}

function newestMtime(p) {
  if (!fs.existsSync(p)) return 0;
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of fs.readdirSync(p)) {
    if (entry === 'generated') continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry)));
  }
  return newest;
}

const buildId = path.join(root, '.next/BUILD_ID');
const sources = ['app', 'src', 'public', 'next.config.mjs', 'postcss.config.mjs', 'package-lock.json'];
const builtAt = fs.existsSync(buildId) ? fs.statSync(buildId).mtimeMs : 0;
if (!process.argv.includes('--no-build') && (builtAt === 0 || sources.some((s) => newestMtime(path.join(root, s)) > builtAt))) {
  console.log('[portal] building the pages (next build)…');
  const build = spawnSync('npx', ['--no-install', 'next', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const child = spawn(process.execPath, [...portalNodeArgs(), '--import', 'tsx', 'server.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ...portalEnv(), NODE_ENV: 'production' },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
