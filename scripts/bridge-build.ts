/**
 * `npm run bridge:build [-- --no-executable]`: builds the card bridge's browser extension
 * (bridge/extension/) from TypeScript into bridge/extension/dist/:
 *   unpacked/                         Chromium/Chrome/Edge, load with --load-extension or "Load unpacked"
 *   firefox/                          the same with a Firefox MV3 manifest (background.scripts, gecko id)
 *   hpki-card-bridge-<version>.zip    unpacked/ zipped (Chrome Web Store / policy hosting)
 *   hpki-card-bridge-firefox-<version>.zip
 *   native-host/card-bridge-host.mjs  the native host (bridge/native-host/main.ts) bundled into one
 *                                     file for a Node installation; the PC/SC addon (`smartcard`)
 *                                     stays external in node_modules (development, `--host bundle`).
 *   native-host/single-executable/    the native host for a terminal without Node: a Node single
 *                                     executable `hpki-card-bridge-host` (`.exe` on Windows) with the
 *                                     PC/SC addon `smartcard_napi.node` beside it, for this machine's
 *                                     platform and CPU (scripts/bridge/single-executable.ts).
 *                                     `--no-executable` skips it.
 */
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { deflateRawSync, crc32 } from 'node:zlib';
import { EXTENSION_DIR, FIREFOX_EXTENSION_ID, chromiumExtensionId, sourceManifest } from '../bridge/extension/extension-id.ts';
import { HOST_BUNDLE, SINGLE_EXECUTABLE_DIR, SINGLE_EXECUTABLE_WORK_DIR } from './bridge/host-artifacts.ts';
import { buildSingleExecutable } from './bridge/single-executable.ts';

const { values: options } = parseArgs({ options: { executable: { type: 'boolean', default: true } }, allowNegative: true, strict: true });
const root = path.resolve(EXTENSION_DIR, '../..');
const src = path.join(EXTENSION_DIR, 'src');
const dist = path.join(EXTENSION_DIR, 'dist');
const unpacked = path.join(dist, 'unpacked');
const firefox = path.join(dist, 'firefox');

rmSync(dist, { recursive: true, force: true });
mkdirSync(unpacked, { recursive: true });

const packageVersion = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
const manifest = sourceManifest();
manifest.version = packageVersion.replace(/[^0-9.]/g, '') || manifest.version;

await build({
  entryPoints: {
    'service-worker': path.join(src, 'service-worker.ts'),
    content: path.join(src, 'content.ts'),
    pin: path.join(src, 'pin.ts'),
    options: path.join(src, 'options.ts'),
  },
  outdir: unpacked,
  bundle: true,
  format: 'iife',
  target: ['chrome116', 'firefox128'],
  platform: 'browser',
  minify: false,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of ['pin.html', 'options.html', 'bridge.css', 'managed-schema.json']) cpSync(path.join(src, file), path.join(unpacked, file));
writeFileSync(path.join(unpacked, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
// The packaged allow-list: empty until `npm run bridge:install -- --extension-dir` fills it in.
writeFileSync(path.join(unpacked, 'allowed-origins.json'), JSON.stringify({ allowedOrigins: [] }) + '\n');

// Firefox: MV3 with an event page (background.scripts) and a gecko id; no `key`, no managed_schema
// (Firefox reads managed storage from its policies.json "3rdparty" section).
cpSync(unpacked, firefox, { recursive: true });
const { key: _key, background: _background, minimum_chrome_version: _min, storage: _storage, ...rest } = manifest;
const firefoxManifest = {
  ...rest,
  background: { scripts: ['service-worker.js'] },
  browser_specific_settings: { gecko: { id: FIREFOX_EXTENSION_ID, strict_min_version: '128.0' } },
};
writeFileSync(path.join(firefox, 'manifest.json'), JSON.stringify(firefoxManifest, null, 2) + '\n');
rmSync(path.join(firefox, 'managed-schema.json'));

// ------------------------------------------------------------------ zip (stored + deflate, no deps)
function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full, base) : [path.relative(base, full).split(path.sep).join('/')];
  });
}

function zip(dir: string, out: string) {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  // A fixed DOS timestamp (1980-01-01) keeps the zip reproducible.
  const dosTime = 0;
  const dosDate = (0 << 9) | (1 << 5) | 1;
  for (const name of listFiles(dir).sort()) {
    const data = readFileSync(path.join(dir, name));
    const packed = deflateRawSync(data, { level: 9 });
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + packed.length;
  }
  const centralBytes = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length / 2, 8);
  end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  writeFileSync(out, Buffer.concat([...locals, centralBytes, end]));
}

const chromeZip = path.join(dist, `hpki-card-bridge-${manifest.version}.zip`);
const firefoxZip = path.join(dist, `hpki-card-bridge-firefox-${manifest.version}.zip`);
zip(unpacked, chromeZip);
zip(firefox, firefoxZip);

// ------------------------------------------------------------------ native host bundle
const hostEntry = path.join(root, 'bridge/native-host/main.ts');
let hostBundle: string | null = null;
if (existsSync(hostEntry)) {
  hostBundle = HOST_BUNDLE;
  await build({
    entryPoints: [hostEntry],
    outfile: hostBundle,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    external: ['smartcard'],
    // Bundled CommonJS dependencies (zod is ESM; others may need require) get a real require.
    banner: { js: "import { createRequire as __bridgeCreateRequire } from 'node:module'; const require = __bridgeCreateRequire(import.meta.url);" },
    legalComments: 'none',
    logLevel: 'warning',
  });
}

const size = (file: string) => `${(statSync(file).size / 1024).toFixed(1)} KiB`;
console.log(`extension ${manifest.version}, Chromium id ${chromiumExtensionId()}, Firefox id ${FIREFOX_EXTENSION_ID}`);
console.log(`  ${path.relative(root, unpacked)}/`);
console.log(`  ${path.relative(root, firefox)}/`);
console.log(`  ${path.relative(root, chromeZip)} (${size(chromeZip)})`);
console.log(`  ${path.relative(root, firefoxZip)} (${size(firefoxZip)})`);
console.log(hostBundle ? `native host ${path.relative(root, hostBundle)} (${size(hostBundle)})` : 'native host: bridge/native-host/main.ts not found, not bundled');

// ------------------------------------------------------------------ native host, single executable
if (hostBundle && options.executable) {
  const executable = await buildSingleExecutable({ outDir: SINGLE_EXECUTABLE_DIR, workDir: SINGLE_EXECUTABLE_WORK_DIR, log: (line) => console.log(line) });
  console.log(`  copy ${path.relative(root, executable.dir)}/ to a terminal of the same platform (needs no Node; needs the PC/SC library: libpcsclite1 + pcscd on Linux)`);
} else if (hostBundle) console.log('native host single executable: skipped (--no-executable)');
