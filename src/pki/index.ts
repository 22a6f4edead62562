/** HPKI / JPKI certificate handling: hcRole, trust store, revocation and login validation. */
export { isBinaryInput } from './bytes.ts';
export type { BinaryInput } from './bytes.ts';
export { PkiError, pkiErrorCodes, pkiErrorMessage, pkiErrorMessages } from './errors.ts';
export type { PkiErrorCode } from './errors.ts';
export { certificateRules, defaultCertificateRules, MIN_RSA_BITS } from './certificate-rules.ts';
export type { CertificateRules } from './certificate-rules.ts';
export { nameKey, namesMatch, prepareNameString } from './distinguished-name.ts';
export { certificateFingerprint } from './fingerprint.ts';
export * from './hcrole/index.ts';
export { isUnderArc, OID } from './oids.ts';
export { certificateProfiles, resolveProfile } from './profiles.ts';
export type { CertificateProfile, CertificateProfileId } from './profiles.ts';
export { CrlIndex, MAX_CRL_BYTES } from './revocation/crl-index.ts';
export type { CrlScope, RevokedCertificateEntry } from './revocation/crl-index.ts';
export { crlRevocationChecker } from './revocation/crl-revocation-checker.ts';
export { ocspRevocationChecker } from './revocation/ocsp-revocation-checker.ts';
export type { OcspRevocationCheckerOptions } from './revocation/ocsp-revocation-checker.ts';
export type { RevocationChecker, RevocationStatus } from './revocation/revocation-checker.ts';
export { normaliseSerialHex } from './serial.ts';
export { createTrustStore } from './trust/trust-store.ts';
export type { PkiObjectInput, TrustStore, TrustStoreCertificate, TrustStoreInput } from './trust/trust-store.ts';
export { MAX_CERTIFICATE_BYTES, parseCertificate } from './validation/parse-certificate.ts';
export { readCertificateSubject } from './validation/read-certificate-subject.ts';
export type { CertificateSubject, DistinguishedNameFields } from './validation/read-certificate-subject.ts';
export { validateCertificate } from './validation/validate-certificate.ts';
export type {
  CertificateValidationFailure,
  CertificateValidationResult,
  ValidateCertificateOptions,
  ValidatedCertificate,
} from './validation/validate-certificate.ts';
export { validateCertificateChain } from './validation/validate-chain.ts';
export { validateCertificatePolicy } from './validation/validate-policy.ts';
export { validateCertificatePurpose } from './validation/validate-purpose.ts';
export { validateRevocation } from './validation/validate-revocation.ts';
export type { RevocationOptions } from './validation/validate-revocation.ts';
export { validateCertificateValidity } from './validation/validate-validity.ts';
export { validateSubjectDirectoryAttributes } from './validation/validate-directory-attributes.ts';
export { validateHcRoles } from './validation/validate-hc-roles.ts';
export { validateIssuerPolicy } from './validation/validate-issuer-policy.ts';
export { ACCEPTED_CURVES, keyWeakness, validateKeyStrength } from './validation/validate-key-strength.ts';
export { validateNameCharacters } from './validation/validate-name-characters.ts';
export { validateSignatureAlgorithms } from './validation/validate-signature-algorithms.ts';
export { validateCertificateVersion } from './validation/validate-version.ts';
export { x509 } from './x509.ts';
