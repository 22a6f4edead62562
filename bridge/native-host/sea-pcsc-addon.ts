import { createRequire } from 'node:module';
import path from 'node:path';
import { isSea } from 'node:sea';
import { PCSC_ADDON_FILE } from './load-pcsc-addon.ts';

/**
 * Single executable only (bundled by scripts/bridge/single-executable.ts, which points
 * `smartcard`'s own `require('../../build/Release/smartcard_napi.node')` here): the addon is the
 * file beside the executable. The same CommonJS bundle run by a plain `node` (debugging) takes
 * the copy beside the bundle. The addon links against the system's libpcsclite (Linux; macOS
 * PCSC.framework, Windows WinSCard.dll), so a missing library fails here, is caught by pcsc.ts
 * and answered `no_reader`.
 */
export function pcscAddonPath(): string {
  return path.join(isSea() ? path.dirname(process.execPath) : __dirname, PCSC_ADDON_FILE);
}

export function loadPcscAddon(): unknown {
  const file = pcscAddonPath();
  return createRequire(file)(file);
}
