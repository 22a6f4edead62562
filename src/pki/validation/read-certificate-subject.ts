import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectAlternativeName } from '@peculiar/asn1-x509';
import { PkiError } from '../errors.ts';
import { OID } from '../oids.ts';
import { x509 } from '../x509.ts';

export interface DistinguishedNameFields {
  /** RFC 4514-style string of the whole name. */
  dn: string;
  country?: string;
  organization?: string;
  organizationalUnits: string[];
  commonName?: string;
  /** The serialNumber RDN (2.5.4.5): the HPKI ID of the practitioner. */
  serialNumber?: string;
}

export interface CertificateSubject extends DistinguishedNameFields {
  /**
   * The kanji name from the subjectAltName directoryName (HPKI layout, protocol-facts §A3), with
   * family and given name split at the full-width space when there is exactly one.
   */
  kanji?: DistinguishedNameFields & { familyName?: string; givenName?: string };
}

function fields(name: x509.Name): DistinguishedNameFields {
  const first = (type: string): string | undefined => name.getField(type)[0];
  return {
    dn: name.toString(),
    country: first('C'),
    organization: first('O'),
    organizationalUnits: name.getField('OU'),
    commonName: first('CN'),
    serialNumber: first('2.5.4.5'),
  };
}

/**
 * The subject's names: the romanised DN and, when present, the kanji directoryName. Read once per
 * certificate object (immutable) and shared, so the answer is frozen.
 */
export function readCertificateSubject(certificate: x509.X509Certificate): Readonly<CertificateSubject> {
  let subject = subjects.get(certificate);
  if (!subject) subjects.set(certificate, (subject = deepFreeze(readSubject(certificate))));
  return subject;
}

const subjects = new WeakMap<x509.X509Certificate, Readonly<CertificateSubject>>();

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) if (inner && typeof inner === 'object') deepFreeze(inner as object);
  return Object.freeze(value);
}

function readSubject(certificate: x509.X509Certificate): CertificateSubject {
  const subject: CertificateSubject = fields(certificate.subjectName);
  const san = certificate.getExtension(OID.subjectAltName);
  if (!san) return subject;
  let directoryName: x509.Name | undefined;
  try {
    const names = AsnConvert.parse(san.value, SubjectAlternativeName);
    const found = names.find((n) => n.directoryName)?.directoryName;
    if (found) directoryName = new x509.Name(AsnConvert.serialize(found));
  } catch (cause) {
    throw new PkiError('certificate_malformed', 'subjectAltName cannot be decoded', { cause });
  }
  if (!directoryName) return subject;
  const kanji = fields(directoryName);
  const parts = kanji.commonName?.split('\u3000') ?? [];
  subject.kanji = parts.length === 2 && parts[0] && parts[1] ? { ...kanji, familyName: parts[0], givenName: parts[1] } : kanji;
  return subject;
}
