import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PkiError } from '../errors.ts';
import type { PkiErrorCode } from '../errors.ts';
import type { x509 } from '../x509.ts';
import type { CrlContents } from './read-crl.ts';
import { RevokedSerialTable } from './revoked-serial-table.ts';
import type { RevokedSerialTableData } from './revoked-serial-table.ts';

/** workerData of crl-load-worker.ts. */
export interface CrlLoadRequest {
  der: Uint8Array<ArrayBuffer>;
  /** DER of the candidate issuers, in the caller's order (the answer names one by index). */
  issuers: Uint8Array<ArrayBuffer>[];
}

export type CrlLoadResponse =
  | { ok: true; contents: Omit<CrlContents, 'revoked'> & { revoked: RevokedSerialTableData } }
  | { ok: false; code?: PkiErrorCode; detail: string };

/**
 * readCrl in a worker thread, so that parsing and verifying a CRL of tens of MB does not hold up
 * the event loop. The revoked-serial table comes back as transferred arrays: no copy, no rebuild.
 * Takes ownership of `der`: its buffer is transferred to the worker and is unusable afterwards.
 */
export function readCrlOffThread(der: Uint8Array<ArrayBuffer>, candidates: readonly x509.X509Certificate[]): Promise<CrlContents> {
  const request: CrlLoadRequest = { der, issuers: candidates.map((c) => new Uint8Array(c.rawData)) };
  return new Promise((resolve, reject) => {
    let settled = false;
    // A path, not `new URL('./…', import.meta.url)`: Next's Turbopack (the admin pages import this
    // module) publishes a file named that way under /_next/static/media; a path it only bundles.
    const worker = new Worker(path.join(path.dirname(fileURLToPath(import.meta.url)), 'crl-load-worker.ts'), {
      workerData: request,
      transferList: [der.buffer],
      execArgv: workerExecArgv(),
    });
    worker.once('message', (response: CrlLoadResponse) => {
      settled = true;
      void worker.terminate();
      if (!response.ok) reject(response.code ? new PkiError(response.code, response.detail) : new Error(`CRL worker failed: ${response.detail}`));
      else {
        try {
          resolve({ ...response.contents, revoked: new RevokedSerialTable(response.contents.revoked) });
        } catch (error) {
          reject(error);
        }
      }
    });
    worker.once('error', (error) => {
      if (settled) return;
      settled = true;
      reject(new Error('CRL worker failed', { cause: error }));
    });
    worker.once('exit', (code) => {
      if (settled) return;
      settled = true;
      reject(new Error(`CRL worker exited with code ${code} before answering`));
    });
  });
}

/**
 * The worker runs TypeScript like the rest of the process. A process started with `--import tsx`
 * (npm start, dev, bench) passes that on (execArgv undefined = inherit; an explicit list may not
 * repeat V8 flags such as --max-old-space-size); otherwise (vitest) tsx is named here.
 */
function workerExecArgv(): string[] | undefined {
  const argv = process.execArgv;
  const startedWithTsx = argv.some((arg, i) => arg === '--import=tsx' || (arg === '--import' && argv[i + 1] === 'tsx'));
  return startedWithTsx ? undefined : ['--import', 'tsx'];
}
