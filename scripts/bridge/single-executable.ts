/**
 * The native host as a single executable (Node SEA, https://nodejs.org/docs/latest-v22.x/api/single-executable-applications.html),
 * so that a terminal needs no Node installation: part of `npm run bridge:build`, also used by
 * tests/integration/bridge-single-executable.test.ts.
 *
 *   1. esbuild bundles bridge/native-host/sea-main.ts (→ main.ts) and `smartcard`'s JavaScript into
 *      one CommonJS file; `smartcard`'s `require('…/smartcard_napi.node')` is pointed at
 *      bridge/native-host/sea-pcsc-addon.ts, which loads the addon from beside the executable.
 *   2. `node --experimental-sea-config` turns the bundle into a blob.
 *   3. The running Node binary (process.execPath: the npm `node@22` package in CI) is copied and the
 *      blob injected with postject (NODE_SEA_BLOB, the SEA fuse; Mach-O segment NODE_SEA).
 *   4. The addon's compiled file (node_modules/smartcard/build/Release/smartcard_napi.node) is copied
 *      beside it, and the executable is asked `version` with an empty PATH as a smoke test.
 *
 * The executable is for the build machine's platform and CPU only: SEA cannot cross-build, so build
 * on each platform shipped to. macOS: the copied binary's signature is removed before and an ad-hoc
 * one (`codesign --sign -`) added after injection; sign with a Developer ID for distribution.
 * Windows: `signtool remove /s` before injection when signtool is on PATH; sign it afterwards.
 */
import { build, type Plugin } from 'esbuild';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT, PCSC_ADDON_FILE, executableName } from './host-artifacts.ts';

const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export interface SingleExecutable {
  /** The directory to copy to a terminal: the executable and the addon. */
  dir: string;
  executable: string;
  /** The addon beside the executable; null when `smartcard` was not installed (the host then answers no_reader). */
  addon: string | null;
  /** The CommonJS bundle (runs with a plain `node` too, for debugging; the addon is copied beside it). */
  bundle: string;
  /** Seconds per step and in all. */
  timings: Record<'bundle' | 'blob' | 'inject' | 'total', number>;
}

export interface SingleExecutableOptions {
  outDir: string;
  workDir: string;
  log?: (line: string) => void;
}

type PostjectInject = (file: string, resource: string, data: Buffer, options: { sentinelFuse: string; machoSegmentName?: string; overwrite?: boolean }) => Promise<void>;

/** Points `smartcard`'s require of its compiled addon at sea-pcsc-addon.ts; records the real file. */
function pcscAddonPlugin(found: Set<string>): Plugin {
  const loader = path.join(ROOT, 'bridge/native-host/sea-pcsc-addon.ts');
  return {
    name: 'pcsc-addon-beside-executable',
    setup(b) {
      b.onResolve({ filter: /\.node$/ }, (args) => {
        const file = path.resolve(args.resolveDir, args.path);
        if (path.basename(file) !== PCSC_ADDON_FILE) return { errors: [{ text: `${args.importer} requires a native addon the single executable does not ship: ${args.path}` }] };
        if (!existsSync(file)) return { errors: [{ text: `${file} is missing: smartcard's addon was not built (libpcsclite-dev, npm install)` }] };
        found.add(realpathSync(file));
        return { path: file, namespace: 'pcsc-addon' };
      });
      b.onLoad({ filter: /.*/, namespace: 'pcsc-addon' }, () => ({
        contents: `module.exports = require(${JSON.stringify(loader)}).loadPcscAddon();\n`,
        resolveDir: path.dirname(loader),
        loader: 'js',
      }));
    },
  };
}

const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;

export async function buildSingleExecutable({ outDir, workDir, log = () => {} }: SingleExecutableOptions): Promise<SingleExecutable> {
  const started = performance.now();
  const requireHere = createRequire(import.meta.url);
  rmSync(outDir, { recursive: true, force: true });
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  mkdirSync(workDir, { recursive: true });

  // 1. One CommonJS file. `import.meta.url` (config.ts: the default config beside the host) becomes
  // the bundle's own file URL, which in the executable is the executable's (SEA: __filename = execPath).
  let smartcardInstalled = true;
  try {
    requireHere.resolve('smartcard');
  } catch {
    smartcardInstalled = false;
    log('warning: the optional dependency smartcard is not installed: the executable will answer no_reader (install libpcsclite-dev, then npm install)');
  }
  const addons = new Set<string>();
  const bundle = path.join(workDir, 'card-bridge-host.cjs');
  let t = performance.now();
  await build({
    entryPoints: [path.join(ROOT, 'bridge/native-host/sea-main.ts')],
    outfile: bundle,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node22',
    external: smartcardInstalled ? [] : ['smartcard'],
    define: { 'import.meta.url': '__cardBridgeModuleUrl' },
    banner: { js: 'var __cardBridgeModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
    plugins: [pcscAddonPlugin(addons)],
    legalComments: 'none',
    logLevel: 'warning',
  });
  if (smartcardInstalled && addons.size !== 1) throw new Error(`expected smartcard's one addon in the bundle, found ${addons.size}`);
  const addonSource = [...addons][0] ?? null;
  if (addonSource) copyFileSync(addonSource, path.join(workDir, PCSC_ADDON_FILE));
  const bundleSeconds = seconds(t);

  // 2. The SEA blob, made by the same Node binary that is injected below.
  t = performance.now();
  const blob = path.join(workDir, 'sea-prep.blob');
  const seaConfig = path.join(workDir, 'sea-config.json');
  writeFileSync(seaConfig, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: true }, null, 2) + '\n');
  const prep = spawnSync(process.execPath, ['--experimental-sea-config', seaConfig], { encoding: 'utf8' });
  if (prep.status !== 0 || !existsSync(blob)) throw new Error(`node --experimental-sea-config failed: ${prep.stderr || prep.stdout}`);
  const blobSeconds = seconds(t);

  // 3. A copy of this Node with the blob injected.
  t = performance.now();
  const executable = path.join(outDir, executableName());
  copyFileSync(process.execPath, executable);
  chmodSync(executable, 0o755);
  if (process.platform === 'darwin') execFileSync('codesign', ['--remove-signature', executable]);
  if (process.platform === 'win32') {
    const removed = spawnSync('signtool', ['remove', '/s', executable], { encoding: 'utf8' });
    if (removed.status !== 0) log(`note: signtool remove /s did not run (${removed.error?.message ?? removed.stderr.trim()}); postject may warn about the signature`);
  }
  if (!readFileSync(executable).includes(`${SEA_FUSE}:0`)) throw new Error(`${process.execPath} has no unused SEA fuse: build with an official Node binary (the npm node@22 package or nodejs.org), not a distribution's`);
  let inject: PostjectInject;
  try {
    inject = (requireHere('postject') as { inject: PostjectInject }).inject;
  } catch {
    throw new Error('postject (a devDependency) is missing: npm install --include=dev');
  }
  // postject's LIEF prints "Can't find string offset for section name '.note…'" for Node's ELF
  // notes (harmless, also in Node's own docs' run); everything else it says is passed on.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!/^warning: Can't find string offset for section name/.test(String(args[0]))) warn(...args);
  };
  try {
    await inject(executable, 'NODE_SEA_BLOB', readFileSync(blob), {
      sentinelFuse: SEA_FUSE,
      ...(process.platform === 'darwin' ? { machoSegmentName: 'NODE_SEA' } : {}),
    });
  } finally {
    console.warn = warn;
  }
  if (process.platform === 'darwin') execFileSync('codesign', ['--sign', '-', executable]);
  const injectSeconds = seconds(t);

  // 4. The addon beside it, and a smoke test: `version` with no PATH at all.
  let addon: string | null = null;
  if (addonSource) {
    addon = path.join(outDir, PCSC_ADDON_FILE);
    copyFileSync(addonSource, addon);
  }
  const answer = await askVersion(executable);
  if (!answer.ok) throw new Error(`the single executable did not answer version: ${JSON.stringify(answer)}`);

  const result: SingleExecutable = {
    dir: outDir,
    executable,
    addon,
    bundle,
    timings: { bundle: bundleSeconds, blob: blobSeconds, inject: injectSeconds, total: seconds(started) },
  };
  log(
    `single executable ${path.relative(ROOT, executable)} (${(statSync(executable).size / 2 ** 20).toFixed(1)} MiB, Node ${process.version} ${process.platform}-${process.arch}` +
      `${addon ? `, + ${PCSC_ADDON_FILE}` : ', WITHOUT the PC/SC addon'}) in ${result.timings.total} s ` +
      `(bundle ${bundleSeconds}, blob ${blobSeconds}, inject ${injectSeconds})`,
  );
  return result;
}

/** One native-messaging `version` exchange with a host executable, in an environment without PATH. */
export function askVersion(executable: string, timeoutMs = 15_000): Promise<{ ok: boolean; [k: string]: unknown }> {
  return new Promise((resolve, reject) => {
    const child = spawn(executable, [], { env: { PATH: '' } as unknown as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = Buffer.alloc(0);
    let err = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${executable}: no answer to version in ${timeoutMs} ms; stderr: ${err}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d: Buffer) => {
      out = Buffer.concat([out, d]);
      if (out.length >= 4 && out.length >= 4 + out.readUInt32LE(0)) {
        clearTimeout(timer);
        child.stdin.end();
        resolve(JSON.parse(out.subarray(4, 4 + out.readUInt32LE(0)).toString('utf8')));
      }
    });
    const body = Buffer.from(JSON.stringify({ id: 'build-check', command: 'version' }));
    const header = Buffer.alloc(4);
    header.writeUInt32LE(body.length);
    child.stdin.write(Buffer.concat([header, body]));
  });
}
