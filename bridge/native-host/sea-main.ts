/**
 * The entry of the single-executable native host (Node SEA). Never run by tsx: esbuild bundles it
 * to CommonJS (scripts/bridge/single-executable.ts), so the `require('smartcard')` below pulls
 * `smartcard`'s JavaScript into the executable — loaded lazily, on the first PC/SC use, so
 * `version` and bad input are still answered where the addon or libpcsclite is missing.
 */
import { provideSmartcard, type SmartcardModule } from './load-pcsc-addon.ts';

provideSmartcard(() => require('smartcard') as SmartcardModule);
require('./main.ts');
