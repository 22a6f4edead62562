// Worker-thread entry of readCrlOffThread: parses and verifies one CRL, posts back plain arrays.
import { parentPort, workerData } from 'node:worker_threads';
import { PkiError } from '../errors.ts';
import { x509 } from '../x509.ts';
import { readCrl } from './read-crl.ts';
import type { CrlLoadRequest, CrlLoadResponse } from './read-crl-off-thread.ts';

const request = workerData as CrlLoadRequest;
let response: CrlLoadResponse;
let transfer: ArrayBuffer[] = [];
try {
  const candidates = request.issuers.map((der) => new x509.X509Certificate(der));
  const { revoked, ...rest } = await readCrl(request.der, candidates);
  const table = revoked.data;
  response = { ok: true, contents: { ...rest, revoked: table } };
  transfer = [table.serials.buffer, table.offsets.buffer, table.revokedAt.buffer, table.reasons.buffer, table.slots.buffer];
} catch (error) {
  response =
    error instanceof PkiError
      ? { ok: false, code: error.code, detail: error.detail }
      : { ok: false, detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}
parentPort!.postMessage(response, transfer);
