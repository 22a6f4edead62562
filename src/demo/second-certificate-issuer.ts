import crypto from 'node:crypto';
import type { Db } from '../db/current.ts';
import { hcRoleExtension, issueCertificate, practitionerKanjiName, practitionerSubject, type IssuedCertificate } from '../pki/test-pki/index.ts';
import { OID } from '../pki/oids.ts';
import { x509 } from '../pki/x509.ts';
import { parseStoredHcRoles } from '../practitioners/practitioner.ts';
import { attachSigningCertificate } from '../signing/signing-credentials.ts';

/**
 * Demo and tests only: the test HPKI signing CA issues the second certificate for a key the key
 * store generated (production imports a certificate from the real CA with attachSigningCertificate).
 * HPKI signing layout: nonRepudiation only, signing policy (critical), hcRole, kanji name.
 */
export async function issueSecondCertificateWithTestCa(
  prisma: Db,
  credentialId: string,
  signingCa: IssuedCertificate,
  chain: Uint8Array[] = [],
  now = new Date(),
) {
  const credential = await prisma.signingCredential.findUniqueOrThrow({ where: { id: credentialId } });
  const practitioner = await prisma.practitioner.findUniqueOrThrow({ where: { id: credential.ownerId } });
  const algorithm = credential.keyAlgorithm === 'EC-P256' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const publicKey = await crypto.webcrypto.subtle.importKey('spki', new Uint8Array(credential.publicKeySpki), algorithm, true, ['verify']);
  const identity = {
    romanisedName: `${practitioner.givenName} ${practitioner.familyName}`.trim(),
    kanjiFamilyName: practitioner.familyNameKanji ?? practitioner.familyName,
    kanjiGivenName: practitioner.givenNameKanji ?? practitioner.givenName,
    facilityEn: practitioner.facility ?? 'HPKI DEMO',
    facilityJa: practitioner.facility ?? 'HPKIデモ',
    hpkiId: practitioner.registrationNumber.slice(0, 32),
  };
  const roles = parseStoredHcRoles(practitioner.hcRoles).map((r) => ({ role: r.role, codingScheme: r.codingScheme }));
  const issued = await issueCertificate({
    subject: practitionerSubject(identity),
    issuer: signingCa,
    // Only the public key is used: the issuer signs; the private key stays in the key store.
    keys: { publicKey, privateKey: publicKey } as CryptoKeyPair,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 2 * 365 * 86400_000),
    keyUsage: x509.KeyUsageFlags.nonRepudiation,
    policies: [OID.hpkiSigningEePolicy],
    policiesCritical: true,
    subjectAltDirectoryName: practitionerKanjiName(identity),
    extensions: roles.length ? [hcRoleExtension(roles)] : [],
  });
  return attachSigningCertificate(prisma, credentialId, issued.der, [signingCa.der, ...chain], now);
}
