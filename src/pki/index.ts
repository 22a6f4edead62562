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
export { CrlIndex, MAX_CRL_BYTES } from './revocation/CrlIndex.ts';
export type { CrlScope, RevokedCertificateEntry } from './revocation/CrlIndex.ts';
export { crlRevocationChecker } from './revocation/crlRevocationChecker.ts';
export { ocspRevocationChecker } from './revocation/ocspRevocationChecker.ts';
export type { OcspRevocationCheckerOptions } from './revocation/ocspRevocationChecker.ts';
export type { RevocationChecker, RevocationStatus } from './revocation/RevocationChecker.ts';
export { normaliseSerialHex } from './serial.ts';
export { createTrustStore } from './trust/TrustStore.ts';
export type { PkiObjectInput, TrustStore, TrustStoreCertificate, TrustStoreInput } from './trust/TrustStore.ts';
export { MAX_CERTIFICATE_BYTES, parseCertificate } from './validation/parseCertificate.ts';
export { readCertificateSubject } from './validation/readCertificateSubject.ts';
export type { CertificateSubject, DistinguishedNameFields } from './validation/readCertificateSubject.ts';
export { validateCertificate } from './validation/validateCertificate.ts';
export type {
  CertificateValidationFailure,
  CertificateValidationResult,
  ValidateCertificateOptions,
  ValidatedCertificate,
} from './validation/validateCertificate.ts';
export { validateCertificateChain } from './validation/validateChain.ts';
export { validateCertificatePolicy } from './validation/validatePolicy.ts';
export { validateCertificatePurpose } from './validation/validatePurpose.ts';
export { validateRevocation } from './validation/validateRevocation.ts';
export type { RevocationOptions } from './validation/validateRevocation.ts';
export { validateCertificateValidity } from './validation/validateValidity.ts';
export { validateSubjectDirectoryAttributes } from './validation/validate-directory-attributes.ts';
export { validateHcRoles } from './validation/validate-hc-roles.ts';
export { validateIssuerPolicy } from './validation/validate-issuer-policy.ts';
export { ACCEPTED_CURVES, keyWeakness, validateKeyStrength } from './validation/validate-key-strength.ts';
export { validateNameCharacters } from './validation/validate-name-characters.ts';
export { validateSignatureAlgorithms } from './validation/validate-signature-algorithms.ts';
export { validateCertificateVersion } from './validation/validate-version.ts';
export { x509 } from './x509.ts';
