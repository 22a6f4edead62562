import { PkiError } from './errors.ts';
import { OID } from './oids.ts';

/**
 * What a login method accepts, as data: adding a method (e.g. JPKI user authentication with
 * policy 1.2.392.200149.8.5.1.3.30) is a new entry here, not new validation code.
 */
export interface CertificateProfile {
  id: string;
  description: string;
  /** The leaf must carry at least one certificatePolicies OID equal to or under one of these arcs. */
  acceptedPolicyArcs: readonly string[];
  /** A leaf with a policy under one of these arcs is a signing certificate and is refused. */
  signingPolicyArcs: readonly string[];
  /**
   * When set, the leaf's issuing CA must be of this kind: its own certificatePolicies name a policy
   * under one of these arcs (or it is configured as such), and a root anchor may not issue the leaf
   * directly (validate-issuer-policy.ts). Unset: any CA of the chain, the anchor included, may issue.
   */
  issuingCaPolicyArcs?: readonly string[];
  /** Certificates from the leaf to the trust anchor inclusive. */
  maxChainLength: number;
  /** `chain`: every certificate below the anchor needs a revocation answer; `leaf`: the leaf only. */
  revocationScope: 'leaf' | 'chain';
}

export const certificateProfiles = {
  'hpki-auth': {
    id: 'hpki-auth',
    description: 'HPKI authentication certificate (認証用(人)) of a practitioner, for login',
    acceptedPolicyArcs: [OID.hpkiAuthenticationArc],
    signingPolicyArcs: [OID.hpkiSigningArc],
    // HPKI separates authentication CAs (CA policy …1.5.1.2.3.1) from signing CAs (…1.5.1.1.3.1).
    issuingCaPolicyArcs: [OID.hpkiAuthenticationArc],
    // leaf → issuing CA → MHLW root is 3; one more leaves room for a cross-certificate.
    maxChainLength: 4,
    revocationScope: 'chain',
  },
  'jpki-auth': {
    id: 'jpki-auth',
    description: 'JPKI user-authentication certificate (利用者証明用電子証明書) of a My Number Card, for login',
    acceptedPolicyArcs: [OID.jpkiAuthenticationPolicy],
    signingPolicyArcs: [OID.jpkiSigningArc],
    // The J-LIS user-authentication root issues the card certificates itself.
    // leaf → J-LIS self-signed root is 2; one more leaves room for a link (generation) certificate.
    maxChainLength: 3,
    revocationScope: 'chain',
  },
} as const satisfies Record<string, CertificateProfile>;

export type CertificateProfileId = keyof typeof certificateProfiles;

export function resolveProfile(profile: CertificateProfileId | CertificateProfile): CertificateProfile {
  if (typeof profile === 'object') return profile;
  if (!Object.hasOwn(certificateProfiles, profile)) throw new PkiError('validation_failed', `unknown certificate profile "${String(profile)}"`);
  return certificateProfiles[profile];
}
