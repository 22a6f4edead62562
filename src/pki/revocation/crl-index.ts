import type { BinaryInput } from '../bytes.ts';
import { PkiError } from '../errors.ts';
import { normaliseSerialHex } from '../serial.ts';
import { x509 } from '../x509.ts';
import { readCrl } from './read-crl.ts';
import type { CrlContents, CrlScope } from './read-crl.ts';
import { readCrlOffThread } from './read-crl-off-thread.ts';
import type { RevokedSerialTable } from './revoked-serial-table.ts';

export type { CrlScope } from './read-crl.ts';

export interface RevokedCertificateEntry {
  revokedAt: Date;
  /** CRLReason code (RFC 5280 §5.3.1) when the entry carries one. */
  reason?: number;
}

/** Upper bounds for CRLs taken from configuration; generous, they only stop absurd input. */
export const MAX_CRL_BYTES = 64 * 1024 * 1024;

/**
 * CRLs above this size are read in a worker thread. Inline, 1 MB (~30,000 entries) holds the
 * event loop ~20 ms and 35 MB (1,000,000 entries) ~0.7–1 s; a worker costs ~0.5 s more in total
 * (it loads its modules under tsx) but holds the event loop only for slices of the input copy.
 */
export const OFF_THREAD_CRL_BYTES = 1024 * 1024;

export interface CrlLoadOptions {
  /** Read the CRL in a worker thread; default: when it is larger than OFF_THREAD_CRL_BYTES. */
  offThread?: boolean;
}

/**
 * The revoked serials of one CRL whose signature was verified against its issuer, held in a hash
 * table keyed by serial bytes: a lookup costs the same for 10 or 1,000,000 entries.
 * Immutable once loaded.
 */
export class CrlIndex {
  readonly issuer: x509.X509Certificate;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly scope: CrlScope;
  /** URIs of the issuingDistributionPoint; when set, only certificates naming one of them are covered. */
  readonly distributionPointUris: readonly string[] | undefined;
  /** The cRLNumber (RFC 5280 §5.2.3); undefined when the CRL carries none. */
  readonly crlNumber: bigint | undefined;
  readonly #revoked: RevokedSerialTable;

  private constructor(issuer: x509.X509Certificate, contents: CrlContents) {
    this.issuer = issuer;
    this.thisUpdate = new Date(contents.thisUpdate);
    this.nextUpdate = new Date(contents.nextUpdate);
    this.scope = contents.scope;
    this.distributionPointUris = contents.distributionPointUris ? Object.freeze([...contents.distributionPointUris]) : undefined;
    this.crlNumber = contents.crlNumber;
    this.#revoked = contents.revoked;
    Object.freeze(this);
  }

  /**
   * Parses a DER or PEM CRL, finds which of `issuers` issued it (name, keyUsage cRLSign and
   * signature; CAs may share a name across key generations) and indexes it.
   * Throws PkiError `crl_invalid` for anything it cannot use safely: malformed DER, bad signature,
   * missing nextUpdate, delta or indirect CRLs, reason-partitioned CRLs, unknown critical extensions.
   */
  static async load(
    crl: BinaryInput | string,
    issuers: x509.X509Certificate | readonly x509.X509Certificate[],
    options: CrlLoadOptions = {},
  ): Promise<CrlIndex> {
    const der = await decodeCrlInput(crl);
    const candidates = Array.isArray(issuers) ? issuers : [issuers as x509.X509Certificate];
    const offThread = options.offThread ?? der.byteLength > OFF_THREAD_CRL_BYTES;
    const contents = offThread ? await readCrlOffThread(der, candidates) : await readCrl(der, candidates);
    return new CrlIndex(candidates[contents.issuerIndex]!, contents);
  }

  /** Number of revoked serials. */
  get size(): number {
    return this.#revoked.size;
  }

  /** The revocation entry for a serial (any hex form), or undefined when it is not on this CRL. */
  lookup(serialHex: string): RevokedCertificateEntry | undefined {
    const entry = this.#revoked.lookup(normaliseSerialHex(serialHex));
    return entry && { revokedAt: new Date(entry.revokedAt), reason: entry.reason };
  }

  isRevoked(serialHex: string): boolean {
    return this.#revoked.lookup(normaliseSerialHex(serialHex)) !== undefined;
  }
}

/** Copying 35 MB in one go holds the event loop ~30 ms (fresh pages); 4 MB slices keep each step short. */
const COPY_SLICE_BYTES = 4 * 1024 * 1024;

/**
 * The DER of a CRL given as DER, or as PEM in text or bytes: a private copy, which may be handed
 * to another thread. Throws PkiError `crl_invalid` when the input is too large or not a CRL encoding.
 */
export async function decodeCrlInput(crl: BinaryInput | string): Promise<Uint8Array<ArrayBuffer>> {
  const size = typeof crl === 'string' ? crl.length : crl.byteLength;
  if (size > MAX_CRL_BYTES) throw new PkiError('crl_invalid', `CRL is ${size} bytes (limit ${MAX_CRL_BYTES})`);
  try {
    if (typeof crl === 'string') return new Uint8Array(x509.PemData.toArrayBuffer(crl));
    const bytes = crl instanceof ArrayBuffer ? new Uint8Array(crl) : crl;
    // DER starts with a SEQUENCE tag; other bytes may be PEM text (as X509Crl accepts them).
    if (bytes[0] !== 0x30) return new Uint8Array(x509.PemData.toArrayBuffer(new Uint8Array(bytes)));
    const copy = new Uint8Array(bytes.byteLength);
    for (let offset = 0; offset < bytes.byteLength; offset += COPY_SLICE_BYTES) {
      if (offset > 0) await new Promise((resolve) => setImmediate(resolve));
      copy.set(bytes.subarray(offset, offset + COPY_SLICE_BYTES), offset);
    }
    return copy;
  } catch (cause) {
    throw new PkiError('crl_invalid', 'not a DER or PEM X.509 CRL', { cause });
  }
}
