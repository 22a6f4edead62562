/**
 * What pages say to the bridge over `window.postMessage`, and what it answers: the legacy
 * web-eid.js 0.0.x messages the portal's `web-eid` package sends today (protocol-facts §C4) and the
 * current Web eID actions (§C3). Pure functions, shared by the content script and the service worker.
 *
 * Legacy: the page posts `{id, hwcrypto: true, version: {}}` or `{id, hwcrypto: true, authenticate:
 * {nonce, card?}}`; the answer is `{id, version}`, `{id, token}` or `{id, error}` without `hwcrypto`
 * (that is how the package, and this content script, tell requests from answers).
 * Current: `{action: "web-eid:status"}` / `{action: "web-eid:authenticate", challengeNonce,
 * options?: {card?}}` → `web-eid:<action>-ack`, then `-success` or `-failure {error: {code, message}}`.
 *
 * `card` ("hpki" | "jpki", default "hpki") is this bridge's addition: the page says which card it wants.
 */
import type { BridgeErrorCode, CardType } from '../../protocol.ts';

export type PageRequest =
  | { protocol: 'legacy'; id: string; kind: 'version' }
  | { protocol: 'legacy'; id: string; kind: 'authenticate'; nonce: unknown; card: unknown }
  | { protocol: 'legacy'; id: string; kind: 'unsupported' }
  | { protocol: 'current'; kind: 'status'; libraryVersion: string }
  | { protocol: 'current'; kind: 'authenticate'; libraryVersion: string; nonce: unknown; card: unknown }
  | { protocol: 'current'; kind: 'unsupported'; action: string };

const LEGACY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const CURRENT_REQUESTS = ['web-eid:status', 'web-eid:authenticate', 'web-eid:get-signing-certificate', 'web-eid:sign'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A page message the bridge answers, or null for everything else — including the bridge's own
 * answers (no `hwcrypto`, or a `-ack`/`-success`/`-failure` action), so it never answers itself.
 */
export function parsePageMessage(data: unknown): PageRequest | null {
  if (!isObject(data)) return null;
  if (data.hwcrypto === true) {
    if (typeof data.id !== 'string' || !LEGACY_ID.test(data.id)) return null;
    const id = data.id;
    if (data.version !== undefined) return { protocol: 'legacy', id, kind: 'version' };
    if (data.authenticate !== undefined) {
      const args = isObject(data.authenticate) ? data.authenticate : {};
      return { protocol: 'legacy', id, kind: 'authenticate', nonce: args.nonce, card: args.card };
    }
    // certificate, sign and the PC/SC pass-through (SCardConnect, SCardTransmit, …): not offered.
    return { protocol: 'legacy', id, kind: 'unsupported' };
  }
  if (typeof data.action === 'string' && CURRENT_REQUESTS.includes(data.action)) {
    const libraryVersion = typeof data.libraryVersion === 'string' ? data.libraryVersion.slice(0, 32) : '';
    if (data.action === 'web-eid:status') return { protocol: 'current', kind: 'status', libraryVersion };
    if (data.action === 'web-eid:authenticate') {
      const options = isObject(data.options) ? data.options : {};
      return { protocol: 'current', kind: 'authenticate', libraryVersion, nonce: data.challengeNonce, card: options.card };
    }
    return { protocol: 'current', kind: 'unsupported', action: data.action };
  }
  return null;
}

/** Checks a request that arrives in the service worker again: the content script is not trusted. */
export function isPageRequest(value: unknown): value is PageRequest {
  if (!isObject(value)) return false;
  if (value.protocol === 'legacy') {
    return typeof value.id === 'string' && LEGACY_ID.test(value.id) && ['version', 'authenticate', 'unsupported'].includes(value.kind as string);
  }
  if (value.protocol === 'current') {
    if (value.kind === 'unsupported') return typeof value.action === 'string' && CURRENT_REQUESTS.includes(value.action);
    return (value.kind === 'status' || value.kind === 'authenticate') && typeof value.libraryVersion === 'string';
  }
  return false;
}

/** The card a page asked for; anything but "jpki" means the HPKI card. Null: an unknown value. */
export function requestedCard(card: unknown): CardType | null {
  if (card === undefined || card === null || card === 'hpki') return 'hpki';
  if (card === 'jpki') return 'jpki';
  return null;
}

/** Errors the extension itself raises, beside the host's codes. */
export type ExtensionErrorCode = BridgeErrorCode | 'host_unavailable' | 'busy' | 'not_supported';

/**
 * Legacy answers carry one string, which the portal maps with `cardErrorCode()`
 * (app/components/card/web-eid-bridge.ts): PKCS#11 / PC/SC names where one fits, so the page
 * shows card_cancelled, card_not_present, card_extension_missing or card_error.
 */
const LEGACY_ERRORS: Record<ExtensionErrorCode, string> = {
  bad_request: 'invalid_argument',
  message_too_large: 'invalid_argument',
  origin_not_allowed: 'origin_not_allowed',
  no_reader: 'SCARD_E_NO_READERS_AVAILABLE',
  no_card: 'SCARD_E_NO_SMARTCARD',
  wrong_card_type: 'wrong_card_type',
  unknown_card: 'CKR_TOKEN_NOT_RECOGNIZED',
  pin_wrong: 'CKR_PIN_INCORRECT',
  pin_locked: 'CKR_PIN_LOCKED',
  card_removed: 'SCARD_W_REMOVED_CARD',
  timeout: 'ERR_WEBEID_USER_TIMEOUT',
  cancelled: 'CKR_FUNCTION_CANCELED',
  card_error: 'card_error',
  host_unavailable: 'ERR_WEBEID_NATIVE_UNAVAILABLE',
  busy: 'ERR_WEBEID_ACTION_PENDING',
  not_supported: 'not_supported',
};

/** Current Web eID error codes (web-eid.js `ErrorCode`); the bridge's own code goes in `reason`. */
const CURRENT_ERRORS: Record<ExtensionErrorCode, string> = {
  bad_request: 'ERR_WEBEID_NATIVE_INVALID_ARGUMENT',
  message_too_large: 'ERR_WEBEID_NATIVE_INVALID_ARGUMENT',
  origin_not_allowed: 'ERR_WEBEID_NATIVE_FATAL',
  no_reader: 'ERR_WEBEID_NATIVE_FATAL',
  no_card: 'ERR_WEBEID_NATIVE_FATAL',
  wrong_card_type: 'ERR_WEBEID_NATIVE_FATAL',
  unknown_card: 'ERR_WEBEID_NATIVE_FATAL',
  pin_wrong: 'ERR_WEBEID_NATIVE_FATAL',
  pin_locked: 'ERR_WEBEID_NATIVE_FATAL',
  card_removed: 'ERR_WEBEID_NATIVE_FATAL',
  timeout: 'ERR_WEBEID_USER_TIMEOUT',
  cancelled: 'ERR_WEBEID_USER_CANCELLED',
  card_error: 'ERR_WEBEID_NATIVE_FATAL',
  host_unavailable: 'ERR_WEBEID_NATIVE_UNAVAILABLE',
  busy: 'ERR_WEBEID_ACTION_PENDING',
  not_supported: 'ERR_WEBEID_NATIVE_INVALID_ARGUMENT',
};

export function legacyErrorReply(id: string, code: ExtensionErrorCode): { id: string; error: string } {
  return { id, error: LEGACY_ERRORS[code] };
}

export function currentFailureReply(
  action: string,
  code: ExtensionErrorCode,
  message: string,
): { action: string; error: { code: string; message: string; reason: ExtensionErrorCode } } {
  return { action: `${action}-failure`, error: { code: CURRENT_ERRORS[code], message, reason: code } };
}

/** The action a current request is answered with (`web-eid:authenticate` → `web-eid:authenticate-…`). */
export function currentAction(request: PageRequest & { protocol: 'current' }): string {
  return request.kind === 'unsupported' ? request.action : `web-eid:${request.kind}`;
}
