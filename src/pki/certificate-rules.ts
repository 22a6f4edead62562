/**
 * What an installation may tighten or relax about certificate validation, beside the profiles
 * (profiles.ts, fixed per login method). Built once from the environment and immutable; the trust
 * store carries it so every validation against that store applies the same rules.
 */
export interface CertificateRules {
  /** Smallest RSA modulus accepted for leaf and CA keys (never below 2048). */
  readonly minRsaBits: number;
  /**
   * A leaf signed directly by a trust anchor, for profiles that require an issuing CA (HPKI):
   * refused unless an installation allows it (`HPKI_ALLOW_LEAF_FROM_ROOT`).
   */
  readonly allowLeafFromAnchor: boolean;
  /**
   * SHA-256 fingerprints (lower-case hex) of issuing CA certificates configured as authentication
   * CAs although their certificate names no authentication policy (`HPKI_AUTHENTICATION_CAS`).
   */
  readonly authenticationCaFingerprints: readonly string[];
}

/** RSA keys below this are refused whatever the configuration says (SPEC §12). */
export const MIN_RSA_BITS = 2048;

export const defaultCertificateRules: CertificateRules = Object.freeze({
  minRsaBits: MIN_RSA_BITS,
  allowLeafFromAnchor: false,
  authenticationCaFingerprints: Object.freeze([]) as readonly string[],
});

/** Complete, checked rules from a partial set; throws RangeError for a minimum below 2048. */
export function certificateRules(partial: Partial<CertificateRules> = {}): CertificateRules {
  const minRsaBits = partial.minRsaBits ?? MIN_RSA_BITS;
  if (!Number.isInteger(minRsaBits) || minRsaBits < MIN_RSA_BITS) throw new RangeError(`minRsaBits must be an integer of at least ${MIN_RSA_BITS}, not ${minRsaBits}`);
  const fingerprints = (partial.authenticationCaFingerprints ?? []).map((f) => f.replace(/:/g, '').toLowerCase());
  for (const f of fingerprints) if (!/^[0-9a-f]{64}$/.test(f)) throw new RangeError(`"${f}" is not a SHA-256 certificate fingerprint`);
  return Object.freeze({
    minRsaBits,
    allowLeafFromAnchor: partial.allowLeafFromAnchor ?? false,
    authenticationCaFingerprints: Object.freeze(fingerprints),
  });
}
