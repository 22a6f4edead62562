import type { CardErrorCode } from './card/web-eid-bridge';
import type { JpkiErrorCode } from './card/jpki-apdu';
import type { InteractionView } from '@/src/oidc/interaction-view-schema';

type SigningProblem = NonNullable<NonNullable<InteractionView['signing']>['problem']>;

/**
 * The `errors.<code>` sentences the browser looks up itself: what the card, the extension or the
 * browser's passkey prompt reported, and the consent page's signing problems. Every other error
 * arrives with its sentence from the server (`{ error, message }`), so only these go to the client
 * with the page instead of the whole error catalogue (26 KB). A `Record` over the codes' types: a
 * new client-side code that is not listed here does not compile.
 */
export type ClientErrorCode =
  | Exclude<CardErrorCode, 'card_wrong_type'>
  | 'card_wrong_type_hpki'
  | 'card_wrong_type_jpki'
  | 'jpki_card_not_present'
  | JpkiErrorCode
  | SigningProblem
  | 'internal_error'
  | 'passkey_cancelled'
  | 'registration_code_locked';

const CODES: Record<ClientErrorCode, true> = {
  card_cancelled: true,
  card_not_present: true,
  card_extension_missing: true,
  card_pin_locked: true,
  card_error: true,
  card_wrong_type_hpki: true,
  card_wrong_type_jpki: true,
  jpki_card_not_present: true,
  jpki_pin_wrong: true,
  jpki_pin_locked: true,
  jpki_pin_format: true,
  jpki_card_error: true,
  signing_credential_missing: true,
  signing_credential_mismatch: true,
  internal_error: true,
  passkey_cancelled: true,
  registration_code_locked: true,
};

export const CLIENT_ERROR_CODES = Object.keys(CODES) as ClientErrorCode[];
