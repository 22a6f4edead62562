import { ObjectIdentifier } from 'asn1js';
import { contentEquals, readTlv } from '../der/read-tlv.ts';
import { OID } from '../oids.ts';
import { x509 } from '../x509.ts';
import { readTbsLayout } from './tbs-layout.ts';

type ExtensionClass = new (raw: BufferSource) => x509.Extension;

/** The content octets of an OID's DER encoding (encoded by the ASN.1 library), to match without decoding. */
function oidContent(oid: string): Uint8Array {
  const der = new Uint8Array(new ObjectIdentifier({ value: oid }).toBER());
  const tlv = readTlv(der, 0, der.length);
  return der.subarray(tlv.contentStart, tlv.end);
}

/** The extension types @peculiar/x509 decodes into their own classes (its ExtensionFactory registrations). */
const TYPED_EXTENSIONS: ReadonlyArray<[Uint8Array, ExtensionClass]> = (
  [
    [OID.certificatePolicies, x509.CertificatePolicyExtension],
    [OID.basicConstraints, x509.BasicConstraintsExtension],
    [OID.extKeyUsage, x509.ExtendedKeyUsageExtension],
    [OID.keyUsage, x509.KeyUsagesExtension],
    [OID.subjectKeyIdentifier, x509.SubjectKeyIdentifierExtension],
    [OID.authorityKeyIdentifier, x509.AuthorityKeyIdentifierExtension],
    [OID.subjectAltName, x509.SubjectAlternativeNameExtension],
    [OID.crlDistributionPoints, x509.CRLDistributionPointsExtension],
    [OID.authorityInfoAccess, x509.AuthorityInfoAccessExtension],
    ['2.5.29.18', x509.IssuerAlternativeNameExtension],
  ] as Array<[string, ExtensionClass]>
).map(([oid, type]) => [oidContent(oid), type]);

/** One extension from its own DER: decoded once, into its class when the library has one. */
function decodeExtension(der: Uint8Array<ArrayBuffer>): x509.Extension {
  // Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, … }; the first element names the type.
  const outer = readTlv(der, 0, der.length);
  const oid = readTlv(der, outer.contentStart, outer.end);
  const type = oid.tag === 0x06 ? TYPED_EXTENSIONS.find(([content]) => contentEquals(der, oid, content))?.[1] : undefined;
  return type ? new type(der) : new x509.Extension(der);
}

/**
 * A certificate whose extensions are decoded once each, from the certificate's own DER. @peculiar/x509
 * re-encodes every extension from its already-decoded form and decodes the result twice (as a generic
 * extension, then as its class): a third of the CPU of a card certificate's validation went there.
 * Same objects, same classes, same order; a DER fault surfaces as DerError when first read.
 */
class DecodedCertificate extends x509.X509Certificate {
  #extensions: x509.Extension[] | undefined;

  override get extensions(): x509.Extension[] {
    return (this.#extensions ??= readTbsLayout(this.rawData).extensions.map(decodeExtension));
  }
}

/** Parses one DER certificate (as `new x509.X509Certificate(der)` would) into a DecodedCertificate. */
export function decodeCertificate(der: BufferSource): x509.X509Certificate {
  return new DecodedCertificate(der);
}
