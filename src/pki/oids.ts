/** Object identifiers used by the HPKI / JPKI certificate profiles (see research/protocol-facts.md §A, §B). */
export const OID = {
  subjectDirectoryAttributes: '2.5.29.9',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  deltaCrlIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  ekuClientAuth: '1.3.6.1.5.5.7.3.2',
  anyExtendedKeyUsage: '2.5.29.37.0',

  /** ISO/TS 17090 id-hcpki-at-healthcareactor: the attribute that carries hcRole. */
  hcActorAttribute: '1.0.17090.0.1',
  /** id-jhpki-cdata: the Japanese HPKI coding scheme for hcRole (verified on a MEDIS certificate). */
  jhpkiCodingScheme: '1.2.392.100495.1.6.1.1',

  /** HPKI signing (署名用) policy arc; CA policy `…1.1.3.1` is verified, EE `…1.1.0.1` from a MEDIS cert. */
  hpkiSigningArc: '1.2.392.100495.1.5.1.1',
  /** HPKI authentication for individuals (認証用(人)) policy arc; CA policy `…1.2.3.1` verified. */
  hpkiAuthenticationArc: '1.2.392.100495.1.5.1.2',
  hpkiSigningCaPolicy: '1.2.392.100495.1.5.1.1.3.1',
  hpkiAuthenticationCaPolicy: '1.2.392.100495.1.5.1.2.3.1',
  /** Verified from a MEDIS signing EE certificate. */
  hpkiSigningEePolicy: '1.2.392.100495.1.5.1.1.0.1',
  /** UNVERIFIED: by analogy with the signing EE policy; check the MHLW 認証用(人) CP. */
  hpkiAuthenticationEePolicy: '1.2.392.100495.1.5.1.2.0.1',

  /** JPKI user-authentication (利用者証明用) certificate policy. */
  jpkiAuthenticationPolicy: '1.2.392.200149.8.5.1.3.30',
  /** JPKI signing (署名用) certificate policy arc. */
  jpkiSigningArc: '1.2.392.200149.8.5.1.1',
} as const;

/** True when `oid` equals `arc` or lies underneath it. */
export function isUnderArc(oid: string, arc: string): boolean {
  return oid === arc || oid.startsWith(`${arc}.`);
}
