import { encodeTlv } from '../der/encode-tlv.ts';
import { GENERALIZED_TIME, UTC_TIME } from '../der/read-time.ts';
import { DerError, readChildren, readTlv } from '../der/read-tlv.ts';
import type { Tlv } from '../der/read-tlv.ts';

const INTEGER = 0x02;
const BIT_STRING = 0x03;
const SEQUENCE = 0x30;
const CONTEXT_0 = 0xa0;

/** Where the parts of a DER CertificateList (RFC 5280 §5.1) lie, and the CRL without its entries. */
export interface CrlParts {
  /** The tbsCertList element: the bytes the signature covers. */
  readonly tbsCertList: Tlv;
  /** The signature AlgorithmIdentifier inside tbsCertList, and the outer one (RFC 5280 §5.1.1.2: equal). */
  readonly innerSignatureAlgorithm: Tlv;
  readonly signatureAlgorithm: Tlv;
  /** The revokedCertificates SEQUENCE; absent when the CRL lists no certificate. */
  readonly revokedCertificates: Tlv | undefined;
  /**
   * The same CertificateList re-encoded without revokedCertificates: small whatever the number of
   * entries, so the ASN.1 schema library can parse the rest (issuer, times, extensions, signature).
   */
  readonly withoutEntries: Uint8Array<ArrayBuffer>;
}

/** TBSCertList fields in order, by the tags they may carry. */
const TBS_CERT_LIST_FIELDS: ReadonlyArray<{ name: string; tags: readonly number[]; optional: boolean }> = [
  { name: 'version', tags: [INTEGER], optional: true },
  { name: 'signature', tags: [SEQUENCE], optional: false },
  { name: 'issuer', tags: [SEQUENCE], optional: false },
  { name: 'thisUpdate', tags: [UTC_TIME, GENERALIZED_TIME], optional: false },
  { name: 'nextUpdate', tags: [UTC_TIME, GENERALIZED_TIME], optional: true },
  { name: 'revokedCertificates', tags: [SEQUENCE], optional: true },
  { name: 'crlExtensions', tags: [CONTEXT_0], optional: true },
];

/**
 * Checks the outer shape of a DER CRL (one CertificateList filling the input, fields in their
 * order) and locates its parts. Throws DerError. The contents of the fields are checked later,
 * by the schema library (header) and readRevokedCertificates (entries).
 */
export function locateCrlParts(der: Uint8Array): CrlParts {
  const certificateList = readTlv(der, 0, der.length);
  if (certificateList.tag !== SEQUENCE) throw new DerError('CertificateList is not a SEQUENCE', 0);
  if (certificateList.end !== der.length) throw new DerError(`${der.length - certificateList.end} bytes follow the CRL`, certificateList.end);
  const [tbsCertList, signatureAlgorithm, signature, ...extra] = readChildren(der, certificateList);
  if (!tbsCertList || !signatureAlgorithm || !signature || extra.length) {
    throw new DerError('CertificateList does not hold exactly tbsCertList, signatureAlgorithm and signature', 0);
  }
  if (tbsCertList.tag !== SEQUENCE || signatureAlgorithm.tag !== SEQUENCE || signature.tag !== BIT_STRING) {
    throw new DerError('CertificateList fields have the wrong types', 0);
  }

  const fields = readChildren(der, tbsCertList);
  let revokedCertificates: Tlv | undefined;
  let innerSignatureAlgorithm: Tlv | undefined;
  let next = 0;
  for (const field of TBS_CERT_LIST_FIELDS) {
    const element = fields[next];
    if (element && field.tags.includes(element.tag)) {
      if (field.name === 'revokedCertificates') revokedCertificates = element;
      if (field.name === 'signature') innerSignatureAlgorithm = element;
      next += 1;
    } else if (!field.optional) {
      throw new DerError(`tbsCertList has no ${field.name}`, element?.start ?? tbsCertList.start);
    }
  }
  if (next < fields.length) throw new DerError('tbsCertList has an unexpected element', fields[next]!.start);

  const bytesOf = (element: Tlv) => der.subarray(element.start, element.end);
  const withoutEntries = encodeTlv(SEQUENCE, [
    encodeTlv(
      SEQUENCE,
      fields.filter((field) => field !== revokedCertificates).map(bytesOf),
    ),
    bytesOf(signatureAlgorithm),
    bytesOf(signature),
  ]);
  return { tbsCertList, innerSignatureAlgorithm: innerSignatureAlgorithm!, signatureAlgorithm, revokedCertificates, withoutEntries };
}
