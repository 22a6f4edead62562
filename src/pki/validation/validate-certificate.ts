import type { BinaryInput } from '../bytes.ts';
import { PkiError } from '../errors.ts';
import type { PkiErrorCode } from '../errors.ts';
import { certificateRules, defaultCertificateRules } from '../certificate-rules.ts';
import type { CertificateRules } from '../certificate-rules.ts';
import type { HcRoleDescription } from '../hcrole/display-names.ts';
import { resolveProfile } from '../profiles.ts';
import type { CertificateProfile, CertificateProfileId } from '../profiles.ts';
import { crlRevocationChecker } from '../revocation/crl-revocation-checker.ts';
import type { RevocationChecker } from '../revocation/revocation-checker.ts';
import { normaliseSerialHex } from '../serial.ts';
import type { TrustStore } from '../trust/trust-store.ts';
import type { x509 } from '../x509.ts';
import { parseCheckedCertificate } from './checked-certificates.ts';
import { readCertificateSubject } from './read-certificate-subject.ts';
import type { CertificateSubject } from './read-certificate-subject.ts';
import { validateCertificateChain } from './validate-chain.ts';
import { validateCertificatePolicy } from './validate-policy.ts';
import { validateCertificatePurpose } from './validate-purpose.ts';
import { validateRevocation } from './validate-revocation.ts';
import { validateCertificateValidity } from './validate-validity.ts';
import { validateHcRoles } from './validate-hc-roles.ts';
import { validateIssuerPolicy } from './validate-issuer-policy.ts';
import { validateKeyStrength } from './validate-key-strength.ts';

export interface ValidateCertificateOptions {
  trustStore: TrustStore;
  profile: CertificateProfileId | CertificateProfile;
  /** Validation time; the current time by default. */
  now?: Date;
  /**
   * Revocation sources asked in order (default: the trust store's CRLs). This is the extension
   * point for OCSP: put an OCSP checker first and keep the CRL checker as fallback.
   */
  revocationCheckers?: readonly RevocationChecker[];
  /** Overrides of the trust store's rules (key sizes, policy chaining) for this validation. */
  rules?: Partial<CertificateRules>;
}

export interface ValidatedCertificate {
  ok: true;
  certificate: x509.X509Certificate;
  /** Leaf first, trust anchor last. */
  chain: x509.X509Certificate[];
  hcRoles: readonly HcRoleDescription[];
  subject: Readonly<CertificateSubject>;
  /** Issuer DN string. */
  issuer: string;
  /** Normalised lower-case hex. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  profile: string;
}

export interface CertificateValidationFailure {
  ok: false;
  code: PkiErrorCode;
  /** For logs and developers; people see pkiErrorMessages[code]. */
  detail: string;
}

export type CertificateValidationResult = ValidatedCertificate | CertificateValidationFailure;

/**
 * Validates an end-entity certificate for login, in order (src/pki/README.md): parse → version →
 * signature algorithms → subjectDirectoryAttributes → name characters → key strength → validity →
 * purpose → policy → trusted chain → issuer policy → revocation → hcRole. Never throws for bad
 * input: every failure, including an unexpected one, comes back as `{ ok: false, code }` (fail closed).
 * The first five steps read nothing but the bytes and are remembered per certificate
 * (checked-certificates.ts); every later step runs at every validation.
 */
export async function validateCertificate(der: BinaryInput, options: ValidateCertificateOptions): Promise<CertificateValidationResult> {
  try {
    const profile = resolveProfile(options.profile);
    const now = options.now ?? new Date();
    const storeRules = options.trustStore.rules ?? defaultCertificateRules;
    const rules = options.rules ? certificateRules({ ...storeRules, ...options.rules }) : storeRules;
    const certificate = parseCheckedCertificate(der);
    validateKeyStrength(certificate, rules.minRsaBits);
    validateCertificateValidity(certificate, now);
    validateCertificatePurpose(certificate, profile);
    validateCertificatePolicy(certificate, profile);
    const chain = await validateCertificateChain(certificate, options.trustStore, profile, now, rules);
    validateIssuerPolicy(chain, profile, rules);
    await validateRevocation(chain, {
      checkers: options.revocationCheckers ?? [crlRevocationChecker(options.trustStore)],
      now,
      scope: profile.revocationScope,
    });
    const hcRoles = validateHcRoles(certificate);
    return {
      ok: true,
      certificate,
      chain,
      hcRoles,
      subject: readCertificateSubject(certificate),
      issuer: certificate.issuer,
      serialNumber: normaliseSerialHex(certificate.serialNumber),
      notBefore: certificate.notBefore,
      notAfter: certificate.notAfter,
      profile: profile.id,
    };
  } catch (error) {
    if (error instanceof PkiError) return { ok: false, code: error.code, detail: error.detail };
    return { ok: false, code: 'validation_failed', detail: `unexpected error: ${error instanceof Error ? error.message : String(error)}` };
  }
}
