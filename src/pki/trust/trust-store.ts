import { toBytes } from '../bytes.ts';
import type { BinaryInput } from '../bytes.ts';
import { PkiError } from '../errors.ts';
import { certificateFingerprint, nameKey } from '../fingerprint.ts';
import { certificateRules } from '../certificate-rules.ts';
import type { CertificateRules } from '../certificate-rules.ts';
import { CrlIndex } from '../revocation/crl-index.ts';
import { isNewerCrl } from '../revocation/crl-order.ts';
import { x509 } from '../x509.ts';

/** A certificate or CRL as configured: DER bytes, or PEM text (which may hold several blocks). */
export type PkiObjectInput = BinaryInput | string;

export interface TrustStoreInput {
  /** Trust anchors, e.g. the MHLW HPKI Root CA certificate(s). */
  anchors: readonly PkiObjectInput[];
  /** Issuing CA certificates that chains may pass through (never trusted on their own). */
  intermediates?: readonly PkiObjectInput[];
  /** CRLs of any CA above; each is verified against its issuer when the store is built. */
  crls?: readonly PkiObjectInput[];
  /** The installation's certificate rules (key sizes, policy chaining); defaults when absent. */
  rules?: Partial<CertificateRules>;
}

export interface TrustStoreCertificate {
  readonly certificate: x509.X509Certificate;
  readonly fingerprint: string;
  readonly anchor: boolean;
}

/**
 * Everything certificate validation trusts, built once and never mutated: anchors, intermediates
 * indexed by subject name, and one verified CrlIndex per issuing CA certificate.
 */
export interface TrustStore {
  readonly anchors: readonly x509.X509Certificate[];
  readonly intermediates: readonly x509.X509Certificate[];
  /** Anchors and intermediates by subject name (see nameKey), anchors first. */
  readonly bySubject: ReadonlyMap<string, readonly TrustStoreCertificate[]>;
  /** The newest CRL of each CA (highest cRLNumber, else latest thisUpdate), keyed by the CA certificate's fingerprint. */
  readonly crls: ReadonlyMap<string, CrlIndex>;
  /** What every validation against this store applies (certificate-rules.ts). */
  readonly rules: CertificateRules;
}

/** Maximum size of one configured certificate input (a PEM bundle may hold several). */
const MAX_CERTIFICATE_INPUT_BYTES = 1024 * 1024;

function decodeCertificates(input: PkiObjectInput, label: string): x509.X509Certificate[] {
  const size = typeof input === 'string' ? input.length : input.byteLength;
  if (size > MAX_CERTIFICATE_INPUT_BYTES) throw new PkiError('certificate_too_large', `${label} is ${size} bytes`);
  try {
    if (typeof input === 'string') {
      const blocks = x509.PemConverter.decode(input);
      if (blocks.length === 0) throw new Error('no PEM block found');
      return blocks.map((der) => new x509.X509Certificate(der));
    }
    return [new x509.X509Certificate(toBytes(input))];
  } catch (cause) {
    throw new PkiError('certificate_malformed', `${label} is not a DER or PEM certificate`, { cause });
  }
}

function decodeCrlInputs(input: PkiObjectInput): Array<Uint8Array<ArrayBuffer> | string> {
  if (typeof input !== 'string') return [toBytes(input)];
  let blocks: ArrayBuffer[];
  try {
    blocks = x509.PemConverter.decode(input);
  } catch (cause) {
    // The PEM decoder's base64 check overflows the stack on tens of MB: such CRLs must come as DER.
    throw new PkiError('crl_invalid', 'PEM CRL could not be decoded (give very large CRLs as DER)', { cause });
  }
  return blocks.length > 0 ? blocks.map((der) => new Uint8Array(der)) : [input];
}

/**
 * Builds an immutable trust store. Throws PkiError when an input cannot be used (malformed
 * certificate, CRL that no configured CA signed, …): configuration errors should stop start-up,
 * not surface later as refused logins.
 */
export async function createTrustStore(input: TrustStoreInput): Promise<TrustStore> {
  const rules = certificateRules(input.rules);
  const byFingerprint = new Map<string, TrustStoreCertificate>();
  input.anchors.forEach((item, i) => {
    for (const certificate of decodeCertificates(item, `trust anchor #${i + 1}`)) {
      const fingerprint = certificateFingerprint(certificate);
      byFingerprint.set(fingerprint, Object.freeze({ certificate, fingerprint, anchor: true }));
    }
  });
  (input.intermediates ?? []).forEach((item, i) => {
    for (const certificate of decodeCertificates(item, `intermediate certificate #${i + 1}`)) {
      const fingerprint = certificateFingerprint(certificate);
      if (!byFingerprint.has(fingerprint)) byFingerprint.set(fingerprint, Object.freeze({ certificate, fingerprint, anchor: false }));
    }
  });

  const bySubject = new Map<string, TrustStoreCertificate[]>();
  for (const entry of [...byFingerprint.values()].sort((a, b) => Number(b.anchor) - Number(a.anchor))) {
    const key = nameKey(entry.certificate.subjectName);
    bySubject.set(key, [...(bySubject.get(key) ?? []), entry]);
  }

  const crls = new Map<string, CrlIndex>();
  const allCertificates = [...byFingerprint.values()].map((e) => e.certificate);
  for (const [i, item] of (input.crls ?? []).entries()) {
    for (const crl of decodeCrlInputs(item)) {
      let index: CrlIndex;
      try {
        index = await CrlIndex.load(crl, allCertificates);
      } catch (error) {
        if (error instanceof PkiError) throw new PkiError(error.code, `CRL #${i + 1}: ${error.detail}`, { cause: error });
        throw error;
      }
      const key = certificateFingerprint(index.issuer);
      const existing = crls.get(key);
      if (!existing || isNewerCrl(index, existing)) crls.set(key, index);
    }
  }

  return Object.freeze({
    anchors: Object.freeze([...byFingerprint.values()].filter((e) => e.anchor).map((e) => e.certificate)),
    intermediates: Object.freeze([...byFingerprint.values()].filter((e) => !e.anchor).map((e) => e.certificate)),
    bySubject: new ReadonlyMapView(new Map([...bySubject].map(([k, v]) => [k, Object.freeze(v)] as const))),
    crls: new ReadonlyMapView(crls),
    rules,
  });
}

/** A Map wrapper without mutators, so a shared TrustStore cannot be changed through a cast. */
class ReadonlyMapView<K, V> implements ReadonlyMap<K, V> {
  readonly #map: Map<K, V>;
  constructor(map: Map<K, V>) {
    this.#map = map;
    Object.freeze(this);
  }
  get size(): number {
    return this.#map.size;
  }
  get(key: K): V | undefined {
    return this.#map.get(key);
  }
  has(key: K): boolean {
    return this.#map.has(key);
  }
  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void): void {
    this.#map.forEach((value, key) => callback(value, key, this));
  }
  entries(): MapIterator<[K, V]> {
    return this.#map.entries();
  }
  keys(): MapIterator<K> {
    return this.#map.keys();
  }
  values(): MapIterator<V> {
    return this.#map.values();
  }
  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.#map[Symbol.iterator]();
  }
}
