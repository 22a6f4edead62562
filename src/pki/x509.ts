// Every module in src/pki imports @peculiar/x509 through this file, which loads it after the Reflect
// metadata polyfill it needs (x509-library.cjs) and gives it Node's WebCrypto.
import { webcrypto } from 'node:crypto';
import * as x509 from './x509-library.cjs';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
