import { DigestInfo, sha256, sha384, sha512 } from '@peculiar/asn1-rsa';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { checkDigest, type HashAlgorithm } from './key-store.ts';

// AlgorithmIdentifiers with explicit NULL parameters, as RFC 8017 §9.2 note 1 lists them.
const DIGEST_ALGORITHM: Record<HashAlgorithm, AlgorithmIdentifier> = { 'SHA-256': sha256, 'SHA-384': sha384, 'SHA-512': sha512 };

/** DER DigestInfo (RFC 8017 §9.2): what RSASSA-PKCS1-v1_5 pads and signs for a precomputed digest. */
export function encodeDigestInfo(hashAlgorithm: HashAlgorithm, digest: Uint8Array): Buffer {
  checkDigest(hashAlgorithm, digest);
  const info = new DigestInfo({ digestAlgorithm: DIGEST_ALGORITHM[hashAlgorithm], digest: new OctetString(digest) });
  return Buffer.from(AsnConvert.serialize(info));
}
