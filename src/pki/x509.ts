// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill
// loaded before the library itself; every module in src/pki imports x509 through this file.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
