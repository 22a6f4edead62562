/**
 * Authentication levels as `acr` values: the method family and the authenticator assurance level.
 * `rank` orders them for minimum-acr policies (an HPKI certificate also proves the healthcare
 * qualification, so it ranks highest). Each method declares its own `amr` and level in its folder.
 */
export const ACR = {
  passkey: 'urn:hpki-sso:acr:passkey:aal2',
  jpki: 'urn:hpki-sso:acr:jpki:aal3',
  hpki: 'urn:hpki-sso:acr:hpki:aal3',
} as const;
export type AcrValue = (typeof ACR)[keyof typeof ACR];

export const ACR_RANK: Record<AcrValue, number> = { [ACR.passkey]: 1, [ACR.jpki]: 2, [ACR.hpki]: 3 };

export function acrSatisfies(actual: string | undefined, minimum: string): boolean {
  const a = ACR_RANK[actual as AcrValue];
  const m = ACR_RANK[minimum as AcrValue];
  return a !== undefined && m !== undefined && a >= m;
}
