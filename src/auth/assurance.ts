/**
 * What each login method proves, as `amr` (RFC 8176) and `acr`. The acr value names the method
 * family and the authenticator assurance level; `rank` orders them for minimum-acr policies
 * (an HPKI certificate also proves the healthcare qualification, so it ranks highest).
 */
export const LOGIN_METHODS = ['passkey', 'passkey-cross-device', 'hpki-card', 'hpki-cert', 'jpki'] as const;
export type LoginMethodId = (typeof LOGIN_METHODS)[number];

export const ACR = {
  passkey: 'urn:hpki-sso:acr:passkey:aal2',
  jpki: 'urn:hpki-sso:acr:jpki:aal3',
  hpki: 'urn:hpki-sso:acr:hpki:aal3',
} as const;
export type AcrValue = (typeof ACR)[keyof typeof ACR];

export const ACR_RANK: Record<AcrValue, number> = { [ACR.passkey]: 1, [ACR.jpki]: 2, [ACR.hpki]: 3 };

export const ASSURANCE: Record<LoginMethodId, { amr: string[]; acr: AcrValue }> = {
  passkey: { amr: ['hwk', 'user'], acr: ACR.passkey },
  // The phone approved a login shown on another screen (seed 003): `mca`-style marker for cross-device.
  'passkey-cross-device': { amr: ['hwk', 'user', 'mca'], acr: ACR.passkey },
  'hpki-card': { amr: ['sc', 'pin', 'hwk'], acr: ACR.hpki },
  'hpki-cert': { amr: ['sc', 'pin', 'hwk'], acr: ACR.hpki },
  jpki: { amr: ['sc', 'pin', 'hwk'], acr: ACR.jpki },
};

export function acrSatisfies(actual: string | undefined, minimum: string): boolean {
  const a = ACR_RANK[actual as AcrValue];
  const m = ACR_RANK[minimum as AcrValue];
  return a !== undefined && m !== undefined && a >= m;
}
