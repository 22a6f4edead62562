/** WebAuthn relying-party identity, derived from the portal's public URL. */
export interface RelyingParty {
  id: string;
  name: string;
  origin: string;
}

export function relyingPartyFor(publicUrl: string): RelyingParty {
  const url = new URL(publicUrl);
  return { id: url.hostname, name: 'HPKI SSO', origin: url.origin };
}

/** Ceremony lifetime in the browser and on the server. */
export const PASSKEY_CEREMONY_SECONDS = 300;
