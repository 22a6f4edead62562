/**
 * Imported first by every extension script that parses with zod: the extension's content-security
 * policy forbids `new Function`, so zod's JIT must stay off (else its probe logs a CSP violation).
 */
import { config } from 'zod';

config({ jitless: true });
