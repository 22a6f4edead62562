import { KeyObject, sign } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { OID } from '../../../src/pki/oids.ts';
import { x509 } from '../../../src/pki/x509.ts';
import { concat, integerFromHex, sequence, time, tlv } from '../../../src/pki/test-pki/der.ts';
import type { Bytes } from '../../../src/pki/test-pki/der.ts';
import type { IssuedCertificate } from '../../../src/pki/test-pki/index.ts';
import { algorithmIdentifier, SIGNATURE_ALGORITHMS } from '../../../src/pki/test-pki/recraft.ts';
import type { SignatureAlgorithmName } from '../../../src/pki/test-pki/recraft.ts';

/**
 * A CRL signed by `issuer` whose revokedCertificates content is given as raw DER, so malformed
 * entries sit behind a valid signature (the fixtures' generators only produce well-formed CRLs).
 * Same header as issueLargeCrl: version 2, authorityKeyIdentifier and cRLNumber.
 */
export function craftCrl(options: {
  issuer: IssuedCertificate;
  thisUpdate: Date;
  nextUpdate: Date;
  revokedContent?: Bytes;
  /** cRLNumber (default 1). */
  crlNumber?: number;
  /** The algorithm inside tbsCertList and the outer one (whose hash signs); default: SHA-256 for the key type. */
  innerAlgorithm?: SignatureAlgorithmName;
  outerAlgorithm?: SignatureAlgorithmName;
}): Bytes {
  const { issuer } = options;
  const ecdsa = issuer.keys.privateKey.algorithm.name === 'ECDSA';
  const innerName = options.innerAlgorithm ?? (ecdsa ? 'ecdsa-with-SHA256' : 'sha256WithRSAEncryption');
  const outerName = options.outerAlgorithm ?? innerName;
  const algorithm = new Uint8Array(AsnConvert.serialize(algorithmIdentifier(innerName)));
  const outerAlgorithm = new Uint8Array(AsnConvert.serialize(algorithmIdentifier(outerName)));
  const keyId = Buffer.from(issuer.certificate.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId, 'hex');
  const extensions = new asn1X509.Extensions([
    new asn1X509.Extension({
      extnID: OID.authorityKeyIdentifier,
      critical: false,
      extnValue: new OctetString(AsnConvert.serialize(new asn1X509.AuthorityKeyIdentifier({ keyIdentifier: new OctetString(keyId) }))),
    }),
    new asn1X509.Extension({ extnID: OID.crlNumber, critical: false, extnValue: new OctetString(AsnConvert.serialize(new asn1X509.CRLNumber(options.crlNumber ?? 1))) }),
  ]);
  const tbs = sequence(
    tlv(0x02, Uint8Array.of(1)),
    algorithm,
    new Uint8Array(issuer.certificate.subjectName.toArrayBuffer()),
    time(options.thisUpdate),
    time(options.nextUpdate),
    ...(options.revokedContent ? [tlv(0x30, options.revokedContent)] : []),
    tlv(0xa0, new Uint8Array(AsnConvert.serialize(extensions))),
  );
  const key = KeyObject.from(issuer.keys.privateKey);
  const hash = SIGNATURE_ALGORITHMS[outerName].hash;
  const signature = ecdsa ? sign(hash, tbs, { key, dsaEncoding: 'der' }) : sign(hash, tbs, key);
  return sequence(tbs, outerAlgorithm, tlv(0x03, concat([Uint8Array.of(0), new Uint8Array(signature)])));
}

/** One revokedCertificates entry from raw parts: userCertificate, revocationDate, crlEntryExtensions. */
export function crlEntry(serial: Bytes, revocationDate: Bytes, extensions?: Bytes): Bytes {
  return sequence(serial, revocationDate, ...(extensions ? [extensions] : []));
}

/** An Extension (extnID, critical, extnValue) from a dotted OID and the DER of its value. */
export function entryExtension(oid: string, critical: boolean, value: Bytes): Bytes {
  return new Uint8Array(AsnConvert.serialize(new asn1X509.Extension({ extnID: oid, critical, extnValue: new OctetString(value) })));
}

export { concat, integerFromHex, sequence, time, tlv };
