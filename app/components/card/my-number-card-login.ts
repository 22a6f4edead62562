/**
 * My Number Card login in the browser: the card proves possession of the JPKI user-authentication
 * key by signing the server's 32-byte challenge digest after the holder's PIN, through the web-eid
 * extension's PC/SC pass-through (research/protocol-facts.md §B2). The page sends the result to
 * the server, which validates the certificate (`jpki-auth` profile) and the signature.
 */
import { CardError, connectCardReader } from './web-eid-bridge';
import type { CardReaderConnection } from './web-eid-bridge';
import {
  JpkiError,
  digestInfoSha256,
  isJpkiPin,
  pinTriesLeft,
  readAuthenticationCertificate,
  selectJpkiAp,
  signDigestInfo,
  verifyPin,
} from './jpki-apdu';
import type { JpkiErrorCode } from './jpki-apdu';

/** What the page can show while the card is used ("reading the card…", "checking the PIN…"). */
export type MyNumberCardStep = 'connecting' | 'reading_certificate' | 'verifying_pin' | 'signing' | 'done';

/** Stable codes; the sentences are `errors.<code>` in the message catalogues. */
export type MyNumberCardErrorCode = JpkiErrorCode | 'card_extension_missing' | 'card_not_present';

export class MyNumberCardError extends Error {
  constructor(
    readonly code: MyNumberCardErrorCode,
    /** With `jpki_pin_wrong`: tries left before the PIN locks (`errors.jpki_pin_wrong` takes it). */
    readonly triesLeft?: number,
    /** A status word or the extension's code-like reason, for support; never APDU data. */
    readonly reason?: string,
  ) {
    super(reason ? `${code} (${reason})` : code);
    this.name = 'MyNumberCardError';
  }
}

export interface MyNumberCardProofRequest {
  /** The 32-byte SHA-256 challenge digest the server issued for this login. */
  challengeDigest: Uint8Array;
  /** The 4-digit user-authentication PIN (利用者証明用電子証明書の暗証番号). */
  pin: string;
  onProgress?: (step: MyNumberCardStep) => void;
}

export interface MyNumberCardProof {
  /** The JPKI user-authentication certificate, DER. */
  certificateDer: Uint8Array;
  /** RSASSA-PKCS1-v1_5 signature over DigestInfo(SHA-256, challengeDigest). */
  signature: Uint8Array;
}

/** How to reach the card; tests pass an emulator, pages use the extension. */
export interface MyNumberCardTransport {
  connect: () => Promise<CardReaderConnection>;
}

const extensionTransport: MyNumberCardTransport = { connect: connectCardReader };

/**
 * connect → SELECT AP → read EF 000A → SELECT 0018, retry count (a locked PIN is reported without
 * sending it) → VERIFY → SELECT 0017 → SIGN DigestInfo(challengeDigest) → disconnect (always).
 * Rejects with a {@link MyNumberCardError} only.
 */
export async function proveWithMyNumberCard(
  request: MyNumberCardProofRequest,
  transport: MyNumberCardTransport = extensionTransport,
): Promise<MyNumberCardProof> {
  const { challengeDigest, pin, onProgress } = request;
  // Checked before the card is touched: a malformed PIN must never reach the card and spend a try.
  if (!isJpkiPin(pin)) throw new MyNumberCardError('jpki_pin_format');
  if (!(challengeDigest instanceof Uint8Array) || challengeDigest.length !== 32) {
    throw new MyNumberCardError('jpki_card_error', undefined, 'challenge_digest_length');
  }
  const digestInfo = digestInfoSha256(challengeDigest);

  onProgress?.('connecting');
  let reader: CardReaderConnection;
  try {
    reader = await transport.connect();
  } catch (error) {
    throw toMyNumberCardError(error);
  }
  try {
    const transmit = reader.transmit.bind(reader);
    await selectJpkiAp(transmit);
    onProgress?.('reading_certificate');
    const certificateDer = await readAuthenticationCertificate(transmit);
    onProgress?.('verifying_pin');
    if ((await pinTriesLeft(transmit)) === 0) throw new JpkiError('jpki_pin_locked', 'retry_counter_0', 0);
    await verifyPin(transmit, pin);
    onProgress?.('signing');
    const signature = await signDigestInfo(transmit, digestInfo);
    onProgress?.('done');
    return { certificateDer, signature };
  } catch (error) {
    throw toMyNumberCardError(error);
  } finally {
    await reader.disconnect().catch(() => undefined);
  }
}

export function toMyNumberCardError(error: unknown): MyNumberCardError {
  if (error instanceof MyNumberCardError) return error;
  // A transport failure inside an APDU exchange arrives as a JpkiError whose cause is the CardError.
  const card = error instanceof CardError ? error : error instanceof JpkiError && error.cause instanceof CardError ? error.cause : undefined;
  if (card) {
    if (card.code === 'card_extension_missing' || card.code === 'card_not_present') return new MyNumberCardError(card.code, undefined, card.reason);
    return new MyNumberCardError('jpki_card_error', undefined, card.reason);
  }
  if (error instanceof JpkiError) return new MyNumberCardError(error.code, error.triesLeft, error.reason);
  return new MyNumberCardError('jpki_card_error', undefined, 'unexpected');
}
