/**
 * `npm run bridge:install -- --browser chromium|chrome|edge|firefox --origin https://sso.example.jp
 *   [--origin …] [--user-data-dir DIR] [--install-dir DIR] [--extension-dir DIR] [--extension-id ID]
 *   [--mode production|demo|dev] [--host executable|bundle|source] [--log FILE]`
 *
 * Installs the card bridge's native messaging host for one browser, for the current user:
 *   1. the host in the install directory: with `--host executable` (the default once
 *      `npm run bridge:build` has made it) the single executable `hpki-card-bridge-host` and its
 *      PC/SC addon `smartcard_napi.node`, copied there — they need no Node, and that directory is
 *      what another terminal of the same platform needs; otherwise (`bundle`, `source`) a launcher
 *      `card-bridge-host` that runs the host with the Node that ran this installer, with
 *      CARD_BRIDGE_CONFIG pointing at
 *   2. the host's allow-list `card-bridge.config.json` ({allowedOrigins, mode}, read by
 *      bridge/native-host/config.ts; the single executable finds it beside itself), and
 *   3. the host manifest `jp.hpki_sso.card_bridge.json` in the browser's per-user
 *      NativeMessagingHosts directory (or `<user-data-dir>/NativeMessagingHosts/` for a browser
 *      started with --user-data-dir), allowing only this extension's fixed id; its `path` is the
 *      single executable itself, or the launcher (also for the executable with `--log`, which needs
 *      a shell to redirect stderr);
 *   4. `allowed-origins.json` in an unpacked extension directory (`--extension-dir`), the
 *      extension's own allow-list when neither enterprise policy nor its options page set one.
 * Windows: the manifest and launcher are written, and the registry command is printed.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { NATIVE_HOST_NAME, originSchema } from '../bridge/protocol.ts';
import { EXTENSION_DIR, FIREFOX_EXTENSION_ID, chromiumExtensionId } from '../bridge/extension/extension-id.ts';
import { HOST_BUNDLE, PCSC_ADDON_FILE, SINGLE_EXECUTABLE, SINGLE_EXECUTABLE_DIR, executableName } from './bridge/host-artifacts.ts';

type Browser = 'chromium' | 'chrome' | 'edge' | 'firefox';
const BROWSERS: Browser[] = ['chromium', 'chrome', 'edge', 'firefox'];
const root = path.resolve(EXTENSION_DIR, '../..');

function fail(message: string): never {
  process.stderr.write(`bridge:install: ${message}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    browser: { type: 'string' },
    origin: { type: 'string', multiple: true },
    'user-data-dir': { type: 'string' },
    'install-dir': { type: 'string' },
    'extension-dir': { type: 'string' },
    'extension-id': { type: 'string' },
    mode: { type: 'string' },
    host: { type: 'string' },
    log: { type: 'string' },
    help: { type: 'boolean' },
  },
  strict: true,
});

if (values.help) {
  process.stdout.write(
    'npm run bridge:install -- --browser chromium|chrome|edge|firefox --origin https://sso.example.jp [--origin …]\n' +
      '  [--user-data-dir DIR] [--install-dir DIR] [--extension-dir DIR] [--extension-id ID] [--mode production|demo|dev]\n' +
      '  [--host executable|bundle|source] [--log FILE (the host\'s stderr, appended)]\n',
  );
  process.exit(0);
}

const browser = values.browser as Browser;
if (!BROWSERS.includes(browser)) fail(`--browser must be one of ${BROWSERS.join(', ')}`);
const origins = values.origin ?? [];
if (origins.length === 0) fail('at least one --origin https://… is needed');
for (const origin of origins) if (!originSchema.safeParse(origin).success) fail(`${origin}: not an origin (https://host[:port], no path; http only for localhost)`);

const loopback = origins.some((o) => o.startsWith('http://'));
const mode = (values.mode ?? (loopback ? 'dev' : 'production')) as 'production' | 'demo' | 'dev';
if (!['production', 'demo', 'dev'].includes(mode)) fail('--mode must be production, demo or dev');
if (loopback && mode === 'production') fail('http://localhost origins need --mode demo or dev');

const platform = process.platform;
const home = os.homedir();

/** The per-user NativeMessagingHosts directory of each browser (Linux, macOS); Windows: any directory. */
function manifestDirectory(): string {
  if (values['user-data-dir']) {
    if (browser === 'firefox') fail('--user-data-dir is for Chromium-family browsers; Firefox reads ~/.mozilla/native-messaging-hosts');
    return path.join(path.resolve(values['user-data-dir']), 'NativeMessagingHosts');
  }
  if (platform === 'linux') {
    return {
      chromium: path.join(home, '.config/chromium/NativeMessagingHosts'),
      chrome: path.join(home, '.config/google-chrome/NativeMessagingHosts'),
      edge: path.join(home, '.config/microsoft-edge/NativeMessagingHosts'),
      firefox: path.join(home, '.mozilla/native-messaging-hosts'),
    }[browser];
  }
  if (platform === 'darwin') {
    const support = path.join(home, 'Library/Application Support');
    return {
      chromium: path.join(support, 'Chromium/NativeMessagingHosts'),
      chrome: path.join(support, 'Google/Chrome/NativeMessagingHosts'),
      edge: path.join(support, 'Microsoft Edge/NativeMessagingHosts'),
      firefox: path.join(support, 'Mozilla/NativeMessagingHosts'),
    }[browser];
  }
  if (platform === 'win32') return path.join(defaultInstallDirectory(), 'manifests', browser);
  fail(`unsupported platform ${platform}`);
}

function defaultInstallDirectory(): string {
  if (values['user-data-dir']) return path.join(path.resolve(values['user-data-dir']), 'hpki-card-bridge');
  if (platform === 'darwin') return path.join(home, 'Library/Application Support/hpki-card-bridge');
  if (platform === 'win32') return path.join(process.env.LOCALAPPDATA ?? path.join(home, 'AppData/Local'), 'hpki-card-bridge');
  return path.join(process.env.XDG_DATA_HOME ?? path.join(home, '.local/share'), 'hpki-card-bridge');
}

const installDir = path.resolve(values['install-dir'] ?? defaultInstallDirectory());
const manifestDir = manifestDirectory();
mkdirSync(installDir, { recursive: true });
mkdirSync(manifestDir, { recursive: true });

// 1–2. The host's allow-list and the launcher.
const configPath = path.join(installDir, 'card-bridge.config.json');
writeFileSync(configPath, JSON.stringify({ allowedOrigins: origins, mode }, null, 2) + '\n');

const bundle = HOST_BUNDLE;
const source = path.join(root, 'bridge/native-host/main.ts');
const hostKind = values.host ?? (existsSync(SINGLE_EXECUTABLE) ? 'executable' : existsSync(bundle) ? 'bundle' : 'source');
if (!['executable', 'bundle', 'source'].includes(hostKind)) fail('--host must be executable, bundle or source');
if (hostKind === 'executable' && !existsSync(SINGLE_EXECUTABLE)) fail(`${SINGLE_EXECUTABLE} is missing: run npm run bridge:build first (on this platform)`);
if (hostKind === 'bundle' && !existsSync(bundle)) fail(`${bundle} is missing: run npm run bridge:build first`);
if (hostKind === 'source' && !existsSync(source)) fail(`${source} is missing`);

// The single executable and its addon, copied into the install directory: a rebuild (which empties
// bridge/extension/dist/) leaves the installed host alone, and a running host is not overwritten in
// place (a new file is renamed over it).
let executable: string | null = null;
let addonInstalled = false;
if (hostKind === 'executable') {
  const install = (from: string, to: string) => {
    copyFileSync(from, `${to}.new`);
    chmodSync(`${to}.new`, 0o755);
    try {
      renameSync(`${to}.new`, to);
    } catch (error) {
      // Windows does not replace a running executable: the browser still has the host open.
      fail(`${to} could not be replaced (${(error as Error).message}): close the browser and run the installer again`);
    }
  };
  executable = path.join(installDir, executableName());
  install(SINGLE_EXECUTABLE, executable);
  const addon = path.join(SINGLE_EXECUTABLE_DIR, PCSC_ADDON_FILE);
  if (existsSync(addon)) {
    install(addon, path.join(installDir, PCSC_ADDON_FILE));
    addonInstalled = true;
  } else process.stderr.write(`bridge:install: warning: ${addon} is missing (smartcard was not built): the host will answer no_reader\n`);
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
let launcher: string;
if (executable && !values.log) {
  // The browser starts the executable itself; it reads card-bridge.config.json from beside itself.
  launcher = executable;
} else if (platform === 'win32') {
  launcher = path.join(installDir, 'card-bridge-host.cmd');
  const run = executable
    ? `"${executable}"`
    : hostKind === 'bundle'
      ? `"${process.execPath}" "${bundle}"`
      : `cd /d "${root}" && "${process.execPath}" --import tsx "${source}"`;
  const log = values.log ? ` 2>>"${path.resolve(values.log)}"` : '';
  writeFileSync(launcher, `@echo off\r\nset "CARD_BRIDGE_CONFIG=${configPath}"\r\n${run} %*${log}\r\n`);
} else {
  launcher = path.join(installDir, 'card-bridge-host');
  // The browser passes the caller's origin (chrome-extension://…/) as an argument; the host ignores it.
  const log = values.log ? ` 2>>${quote(path.resolve(values.log))}` : '';
  const run = executable
    ? `exec ${quote(executable)} "$@"${log}`
    : hostKind === 'bundle'
      ? `exec ${quote(process.execPath)} ${quote(bundle)} "$@"${log}`
      : `cd ${quote(root)} && exec ${quote(process.execPath)} --import tsx ${quote(source)} "$@"${log}`;
  writeFileSync(launcher, `#!/bin/sh\n# HPKI card bridge native host (written by npm run bridge:install)\nCARD_BRIDGE_CONFIG=${quote(configPath)}\nexport CARD_BRIDGE_CONFIG\n${run}\n`);
  chmodSync(launcher, 0o755);
}

// 3. The host manifest, allowing only the bridge's own extension.
const extensionId = values['extension-id'] ?? (browser === 'firefox' ? FIREFOX_EXTENSION_ID : chromiumExtensionId());
if (browser !== 'firefox' && !/^[a-p]{32}$/.test(extensionId)) fail(`${extensionId}: not a Chromium extension id`);
const hostManifest = {
  name: NATIVE_HOST_NAME,
  description: 'HPKI card bridge: HPKI cards and My Number Cards over PC/SC for allow-listed sign-in portals',
  path: launcher,
  type: 'stdio',
  ...(browser === 'firefox' ? { allowed_extensions: [extensionId] } : { allowed_origins: [`chrome-extension://${extensionId}/`] }),
};
const manifestPath = path.join(manifestDir, `${NATIVE_HOST_NAME}.json`);
writeFileSync(manifestPath, JSON.stringify(hostManifest, null, 2) + '\n');

// 4. The extension's packaged allow-list (unpacked installs only).
let extensionList: string | null = null;
if (values['extension-dir']) {
  const dir = path.resolve(values['extension-dir']);
  if (!existsSync(path.join(dir, 'manifest.json'))) fail(`${dir} is not an unpacked extension (no manifest.json)`);
  extensionList = path.join(dir, 'allowed-origins.json');
  writeFileSync(extensionList, JSON.stringify({ allowedOrigins: origins }, null, 2) + '\n');
}

process.stdout.write(
  [
    `card bridge installed for ${browser} (${mode} mode)`,
    `  host manifest   ${manifestPath}`,
    executable
      ? `  host            ${executable} (single executable with Node ${process.version} inside; ${addonInstalled ? `PC/SC addon ${PCSC_ADDON_FILE} beside it` : 'NO PC/SC addon'})` +
        (launcher !== executable ? `\n  host launcher   ${launcher} (for --log)` : '')
      : `  host launcher   ${launcher} (${hostKind}, Node ${process.version})`,
    `  host allow-list ${configPath}: ${origins.join(', ')}`,
    `  extension id    ${extensionId}`,
    extensionList ? `  extension list  ${extensionList}` : `  extension list  not written (no --extension-dir): set it in the extension's options page or by policy`,
    '',
  ].join('\n'),
);
if (executable) {
  const files = [path.basename(executable), ...(addonInstalled ? [PCSC_ADDON_FILE] : []), path.basename(configPath), ...(launcher !== executable ? [path.basename(launcher)] : [])];
  process.stdout.write(
    [
      `Another terminal (${platform}-${process.arch}, no Node or repository needed): copy ${installDir}`,
      `  (${files.join(', ')}) to the same path there, and the host manifest to ${manifestDir}`,
      `  (elsewhere: change the manifest's "path"). It needs the system's PC/SC service and library:`,
      platform === 'linux' ? '  pcscd and libpcsclite1 (Debian/Ubuntu: apt-get install pcscd libpcsclite1, plus the reader\'s driver, e.g. libccid).' : platform === 'darwin' ? '  built into macOS (PCSC.framework).' : '  built into Windows (WinSCard, the Smart Card service).',
      '',
    ].join('\n'),
  );
}
if (platform === 'win32') {
  const key = {
    chromium: 'HKCU\\Software\\Chromium\\NativeMessagingHosts',
    chrome: 'HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts',
    edge: 'HKCU\\Software\\Microsoft\\Edge\\NativeMessagingHosts',
    firefox: 'HKCU\\Software\\Mozilla\\NativeMessagingHosts',
  }[browser];
  process.stdout.write(`Windows: register the manifest with\n  reg add "${key}\\${NATIVE_HOST_NAME}" /ve /t REG_SZ /d "${manifestPath}" /f\n`);
}
