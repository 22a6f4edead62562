/**
 * Where `npm run bridge:build` puts the native host, read by `npm run bridge:install` and the tests.
 * All under bridge/extension/dist/ (gitignored, rebuilt from scratch by every build):
 *   native-host/card-bridge-host.mjs           the host as one ES module, run by a Node installation
 *                                              (the PC/SC addon `smartcard` stays in node_modules)
 *   native-host/single-executable/             what a terminal needs, no Node installation:
 *     hpki-card-bridge-host[.exe]              Node SEA: the Node binary with the host injected
 *     smartcard_napi.node                      the PC/SC addon, loaded from beside the executable
 *   native-host/single-executable-build/       intermediates (CommonJS bundle, SEA config and blob)
 */
import path from 'node:path';
import { EXTENSION_DIR } from '../../bridge/extension/extension-id.ts';
import { PCSC_ADDON_FILE } from '../../bridge/native-host/load-pcsc-addon.ts';

export const ROOT = path.resolve(EXTENSION_DIR, '../..');
export const DIST = path.join(EXTENSION_DIR, 'dist');
export const HOST_BUNDLE = path.join(DIST, 'native-host/card-bridge-host.mjs');
export const SINGLE_EXECUTABLE_DIR = path.join(DIST, 'native-host/single-executable');
export const SINGLE_EXECUTABLE_WORK_DIR = path.join(DIST, 'native-host/single-executable-build');
export const executableName = (platform: NodeJS.Platform = process.platform) => (platform === 'win32' ? 'hpki-card-bridge-host.exe' : 'hpki-card-bridge-host');
export const SINGLE_EXECUTABLE = path.join(SINGLE_EXECUTABLE_DIR, executableName());
export { PCSC_ADDON_FILE };
