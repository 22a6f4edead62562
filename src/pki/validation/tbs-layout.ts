import { DerError, readChildren, readTlv } from '../der/read-tlv.ts';
import type { Tlv } from '../der/read-tlv.ts';
import type { x509 } from '../x509.ts';
import { PkiError } from '../errors.ts';

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const VERSION_TAG = 0xa0;
const ISSUER_UNIQUE_ID_TAG = 0x81;
const SUBJECT_UNIQUE_ID_TAG = 0x82;
const EXTENSIONS_TAG = 0xa3;

/** What the structural validators need from a certificate's DER, read without the schema library. */
export interface TbsLayout {
  /** The version field's value: 0 (v1, also when absent), 1 (v2), 2 (v3). */
  version: number;
  /** DER of the AlgorithmIdentifier inside tbsCertificate and of the outer one. */
  innerSignatureAlgorithm: Uint8Array;
  outerSignatureAlgorithm: Uint8Array;
  hasUniqueIdentifiers: boolean;
  hasExtensions: boolean;
  /** Each Extension element of the extensions field, as its DER (views into the certificate). */
  extensions: Uint8Array<ArrayBuffer>[];
}

const layouts = new WeakMap<ArrayBuffer, TbsLayout>();

/**
 * Reads the top of a DER Certificate (RFC 5280 §4.1): version, the two signature algorithm
 * identifiers, and whether unique identifiers or extensions follow. Throws DerError.
 */
export function readTbsLayout(rawData: ArrayBuffer): TbsLayout {
  const cached = layouts.get(rawData);
  if (cached) return cached;
  const der = new Uint8Array(rawData);
  const certificate = readTlv(der, 0, der.length);
  if (certificate.tag !== SEQUENCE || certificate.end !== der.length) throw new DerError('Certificate is not one SEQUENCE', 0);
  const [tbs, outer] = readChildren(der, certificate);
  if (!tbs || !outer || tbs.tag !== SEQUENCE || outer.tag !== SEQUENCE) throw new DerError('Certificate lacks tbsCertificate or signatureAlgorithm', 0);
  const fields = readChildren(der, tbs);
  let next = 0;
  let version = 0;
  if (fields[0]?.tag === VERSION_TAG) {
    const integer = readTlv(der, fields[0].contentStart, fields[0].end);
    if (integer.tag !== INTEGER || integer.end !== fields[0].end || integer.end - integer.contentStart !== 1) throw new DerError('version is not a small INTEGER', integer.start);
    version = der[integer.contentStart]!;
    next = 1;
  }
  // serialNumber, then the inner signature AlgorithmIdentifier.
  const inner: Tlv | undefined = fields[next + 1];
  if (!inner || inner.tag !== SEQUENCE) throw new DerError('tbsCertificate lacks its signature AlgorithmIdentifier', tbs.start);
  const rest = fields.slice(next + 6);
  const extensionsField = rest.find((f) => f.tag === EXTENSIONS_TAG);
  const layout: TbsLayout = {
    version,
    innerSignatureAlgorithm: der.subarray(inner.start, inner.end),
    outerSignatureAlgorithm: der.subarray(outer.start, outer.end),
    hasUniqueIdentifiers: rest.some((f) => f.tag === ISSUER_UNIQUE_ID_TAG || f.tag === SUBJECT_UNIQUE_ID_TAG),
    hasExtensions: extensionsField !== undefined,
    extensions: extensionsField ? extensionElements(der, extensionsField) : [],
  };
  layouts.set(rawData, layout);
  return layout;
}

/** `[3] EXPLICIT SEQUENCE OF Extension` → each Extension (itself a SEQUENCE) as a view of its DER. */
function extensionElements(der: Uint8Array<ArrayBuffer>, field: Tlv): Uint8Array<ArrayBuffer>[] {
  const inner = readTlv(der, field.contentStart, field.end);
  if (inner.tag !== SEQUENCE || inner.end !== field.end) throw new DerError('extensions is not one SEQUENCE', field.start);
  return readChildren(der, inner).map((extension) => {
    if (extension.tag !== SEQUENCE) throw new DerError('an extension is not a SEQUENCE', extension.start);
    return der.subarray(extension.start, extension.end);
  });
}

/** The layout of a parsed certificate for a validator: a DER fault is `certificate_malformed` naming `label`. */
export function certificateTbsLayout(certificate: x509.X509Certificate, label: string): TbsLayout {
  try {
    return readTbsLayout(certificate.rawData);
  } catch (cause) {
    if (cause instanceof DerError) throw new PkiError('certificate_malformed', `${label}: ${cause.message}`, { cause });
    throw cause;
  }
}
