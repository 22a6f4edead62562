import { BridgeError } from '../errors.ts';
import type { CardType } from '../../protocol.ts';

/** One APDU exchange with the card in a reader (`pcsc.ts`); throws BridgeError card_removed/timeout. */
export interface CardChannel {
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
}

/** The SHA-256 DigestInfo prefix (RFC 8017 §9.2 note 1; protocol-facts §B2). */
export const SHA256_DIGEST_INFO_PREFIX = Uint8Array.from(Buffer.from('3031300d060960864801650304020105000420', 'hex'));

export const digestInfoSha256 = (digest: Uint8Array): Uint8Array => {
  if (digest.length !== 32) throw new BridgeError('card_error', 'a SHA-256 digest is 32 bytes');
  return Uint8Array.from([...SHA256_DIGEST_INFO_PREFIX, ...digest]);
};

/**
 * A card type the bridge speaks to. Each method selects what it needs itself, so calls do not
 * depend on each other's state except `signDigest`, which needs `verifyPin` on the same
 * connection just before.
 */
export interface CardDriver {
  readonly type: CardType;
  /** True when this card answers the SELECT of its authentication application. */
  detect(channel: CardChannel): Promise<boolean>;
  /** The authentication certificate, DER (readable without a PIN). */
  readCertificate(channel: CardChannel): Promise<Uint8Array>;
  /** The authentication PIN's tries left, without spending one. */
  pinTriesLeft(channel: CardChannel): Promise<number>;
  /** VERIFY; throws pin_wrong (triesLeft) or pin_locked. */
  verifyPin(channel: CardChannel, pin: string): Promise<void>;
  /** RSA PKCS#1 v1.5 signature with the authentication key over a SHA-256 digest. */
  signDigest(channel: CardChannel, sha256Digest: Uint8Array): Promise<Uint8Array>;
}

/** Splits a response APDU; a response shorter than 2 bytes is a removed card (card-bridge-probe.md). */
export function splitResponse(response: Uint8Array): { data: Uint8Array; sw: number } {
  if (response.length < 2) throw new BridgeError('card_removed', 'the card was removed during the operation');
  const sw = (response[response.length - 2]! << 8) | response[response.length - 1]!;
  return { data: response.subarray(0, response.length - 2), sw };
}

export const hexSw = (sw: number) => sw.toString(16).toUpperCase().padStart(4, '0');

/** Sends and requires 9000; anything else is card_error naming the step. */
export async function expectOk(channel: CardChannel, apdu: Uint8Array, step: string): Promise<Uint8Array> {
  const { data, sw } = splitResponse(await channel.transmit(apdu));
  if (sw !== 0x9000) throw new BridgeError('card_error', `${step}: the card answered ${hexSw(sw)}`);
  return data;
}

/** Maps a VERIFY status word (ISO 7816-4): 63Cx → x tries left, 6983/6984 → blocked. */
export function pinStatusFromSw(sw: number): { verified: true } | { verified: false; triesLeft: number } | { locked: true } {
  if (sw === 0x9000) return { verified: true };
  if ((sw & 0xfff0) === 0x63c0) return (sw & 0x0f) === 0 ? { locked: true } : { verified: false, triesLeft: sw & 0x0f };
  if (sw === 0x6983 || sw === 0x6984) return { locked: true };
  throw new BridgeError('card_error', `VERIFY: the card answered ${hexSw(sw)}`);
}

/** Reads a transparent EF holding one DER object: the first bytes give its length, then the rest. */
export async function readDerFile(
  channel: CardChannel,
  readBinary: (offset: number, le: number) => Uint8Array,
  step: string,
): Promise<Uint8Array> {
  const head = await expectReadOk(channel, readBinary(0, 4), step);
  if (head.length < 2 || head[0] !== 0x30) throw new BridgeError('card_error', `${step}: not a DER certificate`);
  let total: number;
  if (head[1]! < 0x80) total = 2 + head[1]!;
  else {
    const n = head[1]! & 0x7f;
    if (n < 1 || n > 2 || head.length < 2 + n) throw new BridgeError('card_error', `${step}: unsupported DER length`);
    total = 2 + n + (n === 1 ? head[2]! : (head[2]! << 8) | head[3]!);
  }
  if (total > 0x7fff) throw new BridgeError('card_error', `${step}: certificate too large`);
  const out = new Uint8Array(total);
  let offset = 0;
  while (offset < total) {
    const want = Math.min(256, total - offset);
    const chunk = await expectReadOk(channel, readBinary(offset, want === 256 ? 0 : want), step);
    if (chunk.length === 0) throw new BridgeError('card_error', `${step}: the file ended early`);
    out.set(chunk.subarray(0, total - offset), offset);
    offset += chunk.length;
  }
  return out;
}

async function expectReadOk(channel: CardChannel, apdu: Uint8Array, step: string) {
  const { data, sw } = splitResponse(await channel.transmit(apdu));
  // 6282: end of file reached before Le bytes — the data is still good.
  if (sw !== 0x9000 && sw !== 0x6282) throw new BridgeError('card_error', `${step}: READ BINARY answered ${hexSw(sw)}`);
  return data;
}

/** The PIN's tries left: VERIFY without data after selecting the PIN (nothing is spent). */
export async function pinTriesLeftOnCard(channel: CardChannel, selectPin: () => Promise<void>, statusApdu: Uint8Array, maxTries: number): Promise<number> {
  await selectPin();
  const status = pinStatusFromSw(splitResponse(await channel.transmit(statusApdu)).sw);
  if ('locked' in status) return 0;
  return status.verified ? maxTries : status.triesLeft;
}

/** VERIFY the PIN; a wrong one says the tries left, a locked one says what to do. */
export async function verifyPinOnCard(channel: CardChannel, selectPin: () => Promise<void>, verifyApdu: Uint8Array, whenLocked: string): Promise<void> {
  await selectPin();
  const status = pinStatusFromSw(splitResponse(await channel.transmit(verifyApdu)).sw);
  if ('locked' in status) throw new BridgeError('pin_locked', whenLocked, 0);
  if (!status.verified) throw new BridgeError('pin_wrong', `wrong PIN, ${status.triesLeft} tries left`, status.triesLeft);
}
