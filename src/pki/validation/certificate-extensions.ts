import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Extension as AsnExtension } from '@peculiar/asn1-x509';
import { contentEquals, readTlv } from '../der/read-tlv.ts';
import { OID } from '../oids.ts';
import { x509 } from '../x509.ts';
import { readTbsLayout } from './tbs-layout.ts';

type ExtensionClass = new (raw: BufferSource) => x509.Extension;

/**
 * The extension types @peculiar/x509 decodes into their own classes (its ExtensionFactory
 * registrations), matched by the content octets of each OID's DER (encoded by the ASN.1 library).
 * Built on first use, so loading this module (into every page bundle) costs nothing.
 */
let typedByContent: ReadonlyArray<[Uint8Array, ExtensionClass]> | undefined;
function typedExtensions(): ReadonlyArray<[Uint8Array, ExtensionClass]> {
  return (typedByContent ??= (
    [
      ['2.5.29.32', x509.CertificatePolicyExtension],
      ['2.5.29.19', x509.BasicConstraintsExtension],
      ['2.5.29.37', x509.ExtendedKeyUsageExtension],
      ['2.5.29.15', x509.KeyUsagesExtension],
      ['2.5.29.14', x509.SubjectKeyIdentifierExtension],
      ['2.5.29.35', x509.AuthorityKeyIdentifierExtension],
      [OID.subjectAltName, x509.SubjectAlternativeNameExtension],
      [OID.crlDistributionPoints, x509.CRLDistributionPointsExtension],
      [OID.authorityInfoAccess, x509.AuthorityInfoAccessExtension],
      ['2.5.29.18', x509.IssuerAlternativeNameExtension],
    ] as Array<[string, ExtensionClass]>
  ).map(([oid, type]) => {
    // The OID as an Extension's extnID, encoded by the ASN.1 library; its content octets are the key.
    const der = new Uint8Array(AsnConvert.serialize(new AsnExtension({ extnID: oid, critical: false, extnValue: new OctetString(0) })));
    const outer = readTlv(der, 0, der.length);
    const extnId = readTlv(der, outer.contentStart, outer.end);
    return [der.subarray(extnId.contentStart, extnId.end), type];
  }));
}

/** One extension from its own DER: decoded once, into its class when the library has one. */
function decodeExtension(der: Uint8Array<ArrayBuffer>): x509.Extension {
  // Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, … }; the first element names the type.
  const outer = readTlv(der, 0, der.length);
  const oid = readTlv(der, outer.contentStart, outer.end);
  const type = oid.tag === 0x06 ? typedExtensions().find(([content]) => contentEquals(der, oid, content))?.[1] : undefined;
  return type ? new type(der) : new x509.Extension(der);
}

/**
 * A certificate whose extensions are decoded once each, from the certificate's own DER. @peculiar/x509
 * re-encodes every extension from its already-decoded form and decodes the result twice (as a generic
 * extension, then as its class): a third of the CPU of a card certificate's validation went there.
 * Same objects, same classes, same order; a DER fault surfaces as DerError when first read.
 * (The class, too, is made on first use.)
 */
function makeDecodedCertificateClass() {
  return class DecodedCertificate extends x509.X509Certificate {
    #extensions: x509.Extension[] | undefined;

    override get extensions(): x509.Extension[] {
      return (this.#extensions ??= readTbsLayout(this.rawData).extensions.map(decodeExtension));
    }
  };
}
let DecodedCertificate: ReturnType<typeof makeDecodedCertificateClass> | undefined;

/** Parses one DER certificate (as `new x509.X509Certificate(der)` would) into a DecodedCertificate. */
export function decodeCertificate(der: BufferSource): x509.X509Certificate {
  DecodedCertificate ??= makeDecodedCertificateClass();
  return new DecodedCertificate(der);
}
