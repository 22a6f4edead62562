import { createRequire } from 'node:module';

/**
 * Where the PC/SC binding (`smartcard`) comes from. Run by Node (`npm run bridge:host`, the bundle
 * `card-bridge-host.mjs`): the package in node_modules. In the single executable (Node SEA, built
 * by scripts/bridge/single-executable.ts): its entry `sea-main.ts` hands over the copy of
 * `smartcard`'s JavaScript bundled into the executable, whose compiled addon
 * (`smartcard_napi.node`) is loaded from beside the executable (`sea-pcsc-addon.ts`).
 */
export type SmartcardModule = typeof import('smartcard');

/** The file name of `smartcard`'s compiled addon (node_modules/smartcard/build/Release/), kept beside the single executable. */
export const PCSC_ADDON_FILE = 'smartcard_napi.node';

let bundled: (() => SmartcardModule) | null = null;

/** Called by the single executable's entry before anything asks for PC/SC. */
export function provideSmartcard(load: () => SmartcardModule) {
  bundled = load;
}

/** `smartcard`; throws when it (or its addon, or libpcsclite under it) does not load. */
export function loadSmartcard(): SmartcardModule {
  return bundled ? bundled() : (createRequire(import.meta.url)('smartcard') as SmartcardModule);
}
