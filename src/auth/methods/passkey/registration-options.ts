import { generateRegistrationOptions } from '@simplewebauthn/server';
import { PASSKEY_CEREMONY_SECONDS, type RelyingParty } from './relying-party.ts';

interface PractitionerNames {
  id: string;
  registrationNumber: string;
  familyName: string;
  givenName: string;
  familyNameKanji: string | null;
  givenNameKanji: string | null;
}

/**
 * Options for the practitioner's one device: a discoverable credential with user verification,
 * the same for the registration QR and the device-change page. `exclude` keeps the device being
 * replaced from registering itself again.
 */
export function passkeyRegistrationOptions(rp: RelyingParty, p: PractitionerNames, exclude: { id: string; transports: string[] }[] = []) {
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: p.registrationNumber,
    userDisplayName: p.familyNameKanji && p.givenNameKanji ? `${p.familyNameKanji} ${p.givenNameKanji}` : `${p.familyName} ${p.givenName}`,
    userID: new TextEncoder().encode(p.id),
    attestationType: 'none',
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    excludeCredentials: exclude.map((c) => ({ id: c.id, transports: c.transports as AuthenticatorTransport[] })),
    timeout: PASSKEY_CEREMONY_SECONDS * 1000,
  });
}
