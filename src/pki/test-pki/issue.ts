import { KeyObject, randomBytes, sign as nodeSign } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { x509 } from '../x509.ts';
import { OID } from '../oids.ts';
import { concat, integerFromHex, sequence, time, tlv } from './der.ts';
import { generateKeys, signingAlgorithmFor } from './keys.ts';
import type { KeyAlgorithmName } from './keys.ts';

/** A certificate together with its key pair, so it can issue further certificates and CRLs. */
export interface IssuedCertificate {
  certificate: x509.X509Certificate;
  der: Uint8Array;
  pem: string;
  keys: CryptoKeyPair;
}

export interface IssueCertificateOptions {
  subject: x509.JsonName;
  /** The issuing CA; omitted → self-signed with the subject's own key. */
  issuer?: IssuedCertificate;
  keyAlgorithm?: KeyAlgorithmName;
  /** Reuse a key pair instead of generating one. */
  keys?: CryptoKeyPair;
  /** Hex serial; random positive 16-byte serial when omitted. */
  serialNumber?: string;
  notBefore: Date;
  notAfter: Date;
  /** Makes a CA certificate: basicConstraints cA=true (critical) and keyCertSign|cRLSign. */
  ca?: { pathLength?: number; keyUsage?: x509.KeyUsageFlags };
  /** End-entity keyUsage (critical); ignored for CAs unless ca.keyUsage is given. */
  keyUsage?: x509.KeyUsageFlags;
  extendedKeyUsage?: string[];
  policies?: string[];
  /** The MEDIS signing certificate marks certificatePolicies critical; default false. */
  policiesCritical?: boolean;
  crlDistributionPoints?: string[];
  /** Authority Information Access id-ad-ocsp URL(s) of the issuer's OCSP responder. */
  ocspUrl?: string | string[];
  /** subjectAltName directoryName (the HPKI kanji name). */
  subjectAltDirectoryName?: x509.JsonName;
  /** Appended after the standard extensions, e.g. the hcRole extension. */
  extensions?: x509.Extension[];
  /** The issuer field as written, when it should differ in spelling from the issuer's subject (name matching). */
  issuerName?: x509.JsonName;
}

export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function toIssued(certificate: x509.X509Certificate, keys: CryptoKeyPair): IssuedCertificate {
  return { certificate, der: new Uint8Array(certificate.rawData), pem: certificate.toString('pem'), keys };
}

/** Issues one certificate (CA or end entity) from options; the building block of every fixture. */
export async function issueCertificate(options: IssueCertificateOptions): Promise<IssuedCertificate> {
  const keys = options.keys ?? (await generateKeys(options.keyAlgorithm ?? 'rsa-2048'));
  const signer = options.issuer?.keys ?? keys;
  const extensions: x509.Extension[] = [];

  if (options.ca) {
    extensions.push(new x509.BasicConstraintsExtension(true, options.ca.pathLength, true));
    extensions.push(new x509.KeyUsagesExtension(options.ca.keyUsage ?? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true));
  } else if (options.keyUsage !== undefined) {
    extensions.push(new x509.KeyUsagesExtension(options.keyUsage, true));
  }
  if (options.extendedKeyUsage) extensions.push(new x509.ExtendedKeyUsageExtension(options.extendedKeyUsage, false));
  if (options.policies) extensions.push(new x509.CertificatePolicyExtension(options.policies, options.policiesCritical ?? false));
  if (options.crlDistributionPoints) extensions.push(new x509.CRLDistributionPointsExtension(options.crlDistributionPoints, false));
  if (options.ocspUrl !== undefined) {
    const urls = typeof options.ocspUrl === 'string' ? [options.ocspUrl] : options.ocspUrl;
    extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp: urls.map((url) => new x509.GeneralName('url', url)) }, false));
  }
  if (options.subjectAltDirectoryName) extensions.push(directoryNameSubjectAltName(options.subjectAltDirectoryName));

  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  const issuerKeyId = options.issuer?.certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  if (issuerKeyId) extensions.push(new x509.AuthorityKeyIdentifierExtension(issuerKeyId));
  extensions.push(...(options.extensions ?? []));

  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: options.serialNumber ?? randomSerialHex(),
    subject: options.subject,
    issuer: options.issuerName ?? (options.issuer ? options.issuer.certificate.subjectName : options.subject),
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    publicKey: keys.publicKey,
    signingKey: signer.privateKey,
    signingAlgorithm: signingAlgorithmFor(signer),
    extensions,
  });
  return toIssued(certificate, keys);
}

export function directoryNameSubjectAltName(name: x509.JsonName): x509.Extension {
  const directoryName = AsnConvert.parse(new x509.Name(name).toArrayBuffer(), asn1X509.Name);
  const san = new asn1X509.SubjectAlternativeName([new asn1X509.GeneralName({ directoryName })]);
  return new x509.Extension(OID.subjectAltName, false, AsnConvert.serialize(san));
}

export interface RevokedEntry {
  serialNumber: string;
  revocationDate?: Date;
  reason?: x509.X509CrlReason;
}

export interface IssueCrlOptions {
  issuer: IssuedCertificate;
  thisUpdate: Date;
  /** Omit only to build a deliberately non-conforming CRL. */
  nextUpdate?: Date;
  revoked?: Array<string | RevokedEntry>;
  /** cRLNumber (default 1); null leaves the extension out (a non-conforming CRL). */
  crlNumber?: number | null;
  extensions?: x509.Extension[];
  /** The issuer field as written, when it should differ in spelling from the CA's subject (name matching). */
  issuerName?: x509.JsonName;
}

export interface IssuedCrl {
  crl: x509.X509Crl;
  der: Uint8Array;
  pem: string;
}

/** An X.509 v2 CRL signed by the issuer's key, with authorityKeyIdentifier and cRLNumber. */
export async function issueCrl(options: IssueCrlOptions): Promise<IssuedCrl> {
  const extensions: x509.Extension[] = [...crlExtensions(options.issuer, options.crlNumber === undefined ? 1 : options.crlNumber), ...(options.extensions ?? [])];
  const crl = await x509.X509CrlGenerator.create({
    issuer: options.issuerName ? new x509.Name(options.issuerName) : options.issuer.certificate.subjectName,
    thisUpdate: options.thisUpdate,
    nextUpdate: options.nextUpdate,
    signingKey: options.issuer.keys.privateKey,
    signingAlgorithm: signingAlgorithmFor(options.issuer.keys),
    extensions,
    entries: (options.revoked ?? []).map((entry) => {
      const e = typeof entry === 'string' ? { serialNumber: entry } : entry;
      return { serialNumber: e.serialNumber, revocationDate: e.revocationDate ?? options.thisUpdate, reason: e.reason };
    }),
  });
  return { crl, der: new Uint8Array(crl.rawData), pem: crl.toString('pem') };
}

function crlExtensions(issuer: IssuedCertificate, crlNumber: number | null): x509.Extension[] {
  const out: x509.Extension[] = [];
  const keyId = issuer.certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  if (keyId) out.push(new x509.AuthorityKeyIdentifierExtension(keyId));
  if (crlNumber !== null) out.push(new x509.Extension(OID.crlNumber, false, AsnConvert.serialize(new asn1X509.CRLNumber(crlNumber))));
  return out;
}

/**
 * The same CRL as issueCrl, encoded directly: X509CrlGenerator needs minutes for 100,000 entries.
 * Entries carry no reason code. Use only for size tests.
 */
export async function issueLargeCrl(options: { issuer: IssuedCertificate; thisUpdate: Date; nextUpdate: Date; revokedSerials: readonly string[] }): Promise<IssuedCrl> {
  const { issuer } = options;
  const signatureAlgorithm = signingAlgorithmFor(issuer.keys);
  const algorithmDer = new Uint8Array(
    AsnConvert.serialize(
      issuer.keys.privateKey.algorithm.name === 'ECDSA'
        ? new asn1X509.AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' })
        : new asn1X509.AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11', parameters: null }),
    ),
  );
  const revocationDate = time(options.thisUpdate);
  const entries = options.revokedSerials.map((serial) => sequence(integerFromHex(serial), revocationDate));
  const extensionsDer = new Uint8Array(AsnConvert.serialize(new asn1X509.Extensions(crlExtensions(issuer, 1).map((e) => AsnConvert.parse(e.rawData, asn1X509.Extension)))));
  const tbs = sequence(
    tlv(0x02, new Uint8Array([1])),
    algorithmDer,
    new Uint8Array(issuer.certificate.subjectName.toArrayBuffer()),
    time(options.thisUpdate),
    time(options.nextUpdate),
    ...(entries.length ? [tlv(0x30, concat(entries))] : []),
    tlv(0xa0, extensionsDer),
  );
  const key: KeyObject = KeyObject.from(issuer.keys.privateKey);
  const signature =
    signatureAlgorithm.name === 'ECDSA'
      ? nodeSign('sha256', tbs, { key, dsaEncoding: 'der' })
      : nodeSign('sha256', tbs, key);
  const der = sequence(tbs, algorithmDer, tlv(0x03, concat([new Uint8Array([0]), new Uint8Array(signature)])));
  const crl = new x509.X509Crl(der, { berOptions: { maxNodes: Infinity, maxDepth: 100, maxContentLength: Infinity } });
  return { crl, der, pem: crl.toString('pem') };
}
