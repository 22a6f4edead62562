import { KeyObject, sign as nodeSign } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { x509 } from '../x509.ts';
import type { IssuedCertificate } from './issue.ts';

/** Signature algorithms a recrafted certificate may name, with their OID and hash. */
export const SIGNATURE_ALGORITHMS = {
  sha256WithRSAEncryption: { oid: '1.2.840.113549.1.1.11', hash: 'sha256', rsa: true },
  sha384WithRSAEncryption: { oid: '1.2.840.113549.1.1.12', hash: 'sha384', rsa: true },
  sha512WithRSAEncryption: { oid: '1.2.840.113549.1.1.13', hash: 'sha512', rsa: true },
  'ecdsa-with-SHA256': { oid: '1.2.840.10045.4.3.2', hash: 'sha256', rsa: false },
  'ecdsa-with-SHA384': { oid: '1.2.840.10045.4.3.3', hash: 'sha384', rsa: false },
} as const;
export type SignatureAlgorithmName = keyof typeof SIGNATURE_ALGORITHMS;

export function algorithmIdentifier(name: SignatureAlgorithmName): asn1X509.AlgorithmIdentifier {
  const algorithm = SIGNATURE_ALGORITHMS[name];
  return new asn1X509.AlgorithmIdentifier(algorithm.rsa ? { algorithm: algorithm.oid, parameters: null } : { algorithm: algorithm.oid });
}

export interface RecraftOptions {
  /** Who signs the result (the original issuer's keys; the certificate's own for a self-signed one). */
  signer: CryptoKeyPair;
  /** Edits the TBSCertificate in place: version, extensions, subject public key, … */
  mutate?: (tbs: asn1X509.TBSCertificate) => void;
  /** The algorithm named inside tbsCertificate; default: the original's. */
  innerAlgorithm?: SignatureAlgorithmName;
  /** The outer signatureAlgorithm, whose hash signs; default: the inner one. */
  outerAlgorithm?: SignatureAlgorithmName;
  /** The key pair the result certifies, when `mutate` replaced the public key with a WebCrypto one. */
  keys?: CryptoKeyPair;
}

/**
 * A certificate rebuilt from a generated one with its TBSCertificate edited and signed again with a
 * real signature: for the structures the generator never produces (a v1 certificate with
 * extensions, an outer signature algorithm other than the inner one, a key on a refused curve),
 * so each refusal is tested behind a signature that verifies.
 */
export function recraftCertificate(original: IssuedCertificate, options: RecraftOptions): IssuedCertificate {
  const certificate = AsnConvert.parse(original.der, asn1X509.Certificate);
  const tbs = certificate.tbsCertificate;
  options.mutate?.(tbs);
  const ecdsa = options.signer.privateKey.algorithm.name === 'ECDSA';
  const inner = options.innerAlgorithm ?? (ecdsa ? 'ecdsa-with-SHA256' : 'sha256WithRSAEncryption');
  const outer = options.outerAlgorithm ?? inner;
  tbs.signature = algorithmIdentifier(inner);
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const key = KeyObject.from(options.signer.privateKey);
  const hash = SIGNATURE_ALGORITHMS[outer].hash;
  const signature = ecdsa ? nodeSign(hash, tbsDer, { key, dsaEncoding: 'der' }) : nodeSign(hash, tbsDer, key);
  const rebuilt = new asn1X509.Certificate({ tbsCertificate: tbs, signatureAlgorithm: algorithmIdentifier(outer), signatureValue: new Uint8Array(signature).buffer });
  const der = new Uint8Array(AsnConvert.serialize(rebuilt));
  const parsed = new x509.X509Certificate(der);
  return { certificate: parsed, der, pem: parsed.toString('pem'), keys: options.keys ?? original.keys };
}

/** A subjectPublicKeyInfo from a node KeyObject (e.g. a secp256k1 key WebCrypto cannot make). */
export function subjectPublicKeyInfoOf(publicKey: KeyObject): asn1X509.SubjectPublicKeyInfo {
  return AsnConvert.parse(publicKey.export({ format: 'der', type: 'spki' }), asn1X509.SubjectPublicKeyInfo);
}
