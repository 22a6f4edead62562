/**
 * The JPKI application (公的個人認証AP) of a My Number Card, spoken in APDUs: the user-authentication
 * certificate (EF 000A), its PIN (EF 0018) and its private key (EF 0017). Sequence and status
 * words as in research/protocol-facts.md §B. Transport-free: every call takes a `transmit`
 * function (the web-eid PC/SC pass-through in the browser, the emulator in tests).
 *
 * Nothing here logs, and no error carries command or response data: the VERIFY APDU holds the
 * PIN, so errors name the status word only.
 */

/** Sends one command APDU and resolves to the response APDU, status word included. */
export type Transmit = (apdu: Uint8Array) => Promise<Uint8Array>;

export type JpkiErrorCode = 'jpki_pin_wrong' | 'jpki_pin_locked' | 'jpki_pin_format' | 'jpki_card_error';

export class JpkiError extends Error {
  constructor(
    readonly code: JpkiErrorCode,
    /** The card's status word as 4 hex digits (e.g. `6A82`), or a short reason, for support. */
    readonly reason?: string,
    /** For `jpki_pin_wrong`: verifications left before the PIN locks; 0 for `jpki_pin_locked`. */
    readonly triesLeft?: number,
  ) {
    super(reason ? `${code} (${reason})` : code);
    this.name = 'JpkiError';
  }
}

/** AID of the JPKI AP. */
export const JPKI_AID = Uint8Array.of(0xd3, 0x92, 0xf0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01);

/** Elementary files of the JPKI AP used for user authentication. */
export const JpkiFile = {
  /** 利用者証明用電子証明書: readable without a PIN. */
  authenticationCertificate: 0x000a,
  /** 利用者証明用秘密鍵: used by COMPUTE DIGITAL SIGNATURE after VERIFY. */
  authenticationKey: 0x0017,
  /** 利用者証明用パスワード (4-digit PIN, 3 tries). */
  authenticationPin: 0x0018,
} as const;
export type JpkiFileId = (typeof JpkiFile)[keyof typeof JpkiFile];

/** SELECT FILE by DF name (P1 04), no response data (P2 0C). */
export const SELECT_JPKI_AP = Uint8Array.of(0x00, 0xa4, 0x04, 0x0c, JPKI_AID.length, ...JPKI_AID);

/** VERIFY without data: asks the retry counter without spending a try. */
export const PIN_RETRY_QUERY = Uint8Array.of(0x00, 0x20, 0x00, 0x80);

/** DigestInfo prefix of SHA-256 (AlgorithmIdentifier with NULL parameters, OCTET STRING of 32). */
export const SHA256_DIGEST_INFO_PREFIX = Uint8Array.of(
  0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
);

/** Largest READ BINARY answer a short APDU can ask for (Le 00 = 256). */
export const MAX_READ_CHUNK = 256;
/** The server refuses certificates above 16 KiB; a longer DER length means a wrong file or card. */
export const MAX_CERTIFICATE_BYTES = 16 * 1024;
const RSA_2048_MAX_DIGEST_INFO = 256 - 11;

export const SW_OK = 0x9000;

/** SELECT FILE by EF identifier under the current DF (P1 02), no response data (P2 0C). */
export function selectEf(fileId: JpkiFileId | number): Uint8Array {
  if (!Number.isInteger(fileId) || fileId < 0 || fileId > 0xffff) throw new RangeError('selectEf: file id must be 2 bytes');
  return Uint8Array.of(0x00, 0xa4, 0x02, 0x0c, 0x02, fileId >> 8, fileId & 0xff);
}

/** READ BINARY from the current EF: 15-bit offset in P1P2, 1..256 bytes (Le 00 = 256). */
export function readBinary(offset: number, length: number): Uint8Array {
  if (!Number.isInteger(offset) || offset < 0 || offset > 0x7fff) throw new RangeError('readBinary: offset must be 0..32767');
  if (!Number.isInteger(length) || length < 1 || length > MAX_READ_CHUNK) throw new RangeError('readBinary: length must be 1..256');
  return Uint8Array.of(0x00, 0xb0, offset >> 8, offset & 0xff, length & 0xff);
}

/** True for exactly four ASCII digits, the user-authentication PIN's only form. */
export function isJpkiPin(pin: unknown): pin is string {
  return typeof pin === 'string' && /^[0-9]{4}$/.test(pin);
}

/** VERIFY against the current PIN EF (P2 80) with the PIN as 4 ASCII bytes. */
export function verifyPinApdu(pin: string): Uint8Array {
  if (!isJpkiPin(pin)) throw new JpkiError('jpki_pin_format');
  const apdu = new Uint8Array(9);
  apdu.set([0x00, 0x20, 0x00, 0x80, 0x04]);
  for (let i = 0; i < 4; i++) apdu[5 + i] = pin.charCodeAt(i);
  return apdu;
}

/** COMPUTE DIGITAL SIGNATURE with the current key EF: the card pads the DigestInfo (PKCS#1 v1.5 type 1). */
export function signApdu(digestInfo: Uint8Array): Uint8Array {
  if (digestInfo.length < 1 || digestInfo.length > RSA_2048_MAX_DIGEST_INFO) throw new RangeError('signApdu: DigestInfo must be 1..245 bytes');
  const apdu = new Uint8Array(5 + digestInfo.length + 1);
  apdu.set([0x80, 0x2a, 0x00, 0x80, digestInfo.length]);
  apdu.set(digestInfo, 5);
  apdu[apdu.length - 1] = 0x00;
  return apdu;
}

/** DigestInfo for a SHA-256 hash: the 19-byte prefix and the 32 hash bytes. */
export function digestInfoSha256(hash32: Uint8Array): Uint8Array {
  if (!(hash32 instanceof Uint8Array) || hash32.length !== 32) throw new RangeError('digestInfoSha256: a SHA-256 hash is 32 bytes');
  const out = new Uint8Array(SHA256_DIGEST_INFO_PREFIX.length + 32);
  out.set(SHA256_DIGEST_INFO_PREFIX);
  out.set(hash32, SHA256_DIGEST_INFO_PREFIX.length);
  return out;
}

export interface ResponseApdu {
  data: Uint8Array;
  sw: number;
}

export function statusWordHex(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

export function parseResponse(response: Uint8Array): ResponseApdu {
  if (!(response instanceof Uint8Array) || response.length < 2) throw new JpkiError('jpki_card_error', 'short_response');
  const n = response.length;
  return { data: response.subarray(0, n - 2), sw: (response[n - 2]! << 8) | response[n - 1]! };
}

/**
 * What a VERIFY status word means: `9000` ok; `63C0`, `6983` (blocked), `6984` (reference data
 * unusable) → locked; `63Cx` → wrong, x tries left; anything else → a card error.
 */
export function pinStatus(sw: number): { ok: true } | { ok: false; error: JpkiError } {
  if (sw === SW_OK) return { ok: true };
  if (sw === 0x63c0 || sw === 0x6983 || sw === 0x6984) return { ok: false, error: new JpkiError('jpki_pin_locked', statusWordHex(sw), 0) };
  if ((sw & 0xfff0) === 0x63c0) return { ok: false, error: new JpkiError('jpki_pin_wrong', statusWordHex(sw), sw & 0x0f) };
  return { ok: false, error: new JpkiError('jpki_card_error', statusWordHex(sw)) };
}

async function command(transmit: Transmit, apdu: Uint8Array): Promise<ResponseApdu> {
  let response: Uint8Array;
  try {
    response = await transmit(apdu);
  } catch (error) {
    // The transport's own error (reader gone, extension error) is kept as the cause, not copied.
    if (error instanceof JpkiError) throw error;
    throw Object.assign(new JpkiError('jpki_card_error', 'transmit_failed'), { cause: error });
  }
  return parseResponse(response);
}

async function expectOk(transmit: Transmit, apdu: Uint8Array): Promise<Uint8Array> {
  const { data, sw } = await command(transmit, apdu);
  if (sw !== SW_OK) throw new JpkiError('jpki_card_error', statusWordHex(sw));
  return data;
}

/** SELECT the JPKI AP; the card's security state (a verified PIN) starts over. */
export async function selectJpkiAp(transmit: Transmit): Promise<void> {
  await expectOk(transmit, SELECT_JPKI_AP);
}

export async function selectFile(transmit: Transmit, fileId: JpkiFileId): Promise<void> {
  await expectOk(transmit, selectEf(fileId));
}

/** Total length of a DER SEQUENCE from its first bytes (definite short or 1–2 byte long form). */
function derLength(head: Uint8Array): number {
  if (head[0] !== 0x30) throw new JpkiError('jpki_card_error', 'not_a_certificate');
  const first = head[1]!;
  if (first < 0x80) return 2 + first;
  if (first === 0x81) return 3 + head[2]!;
  if (first === 0x82) return 4 + ((head[2]! << 8) | head[3]!);
  throw new JpkiError('jpki_card_error', 'certificate_length');
}

/**
 * Reads the user-authentication certificate (EF 000A; the JPKI AP must be selected): the first
 * 4 bytes give the DER length, the rest follows in chunks of at most 256 bytes. Returns the DER
 * only, never the EF's padding after it.
 */
export async function readAuthenticationCertificate(transmit: Transmit): Promise<Uint8Array> {
  await selectFile(transmit, JpkiFile.authenticationCertificate);
  const head = await expectOk(transmit, readBinary(0, 4));
  if (head.length !== 4) throw new JpkiError('jpki_card_error', 'short_read');
  const total = derLength(head);
  if (total > MAX_CERTIFICATE_BYTES) throw new JpkiError('jpki_card_error', 'certificate_too_large');
  const der = new Uint8Array(total);
  der.set(head.subarray(0, Math.min(4, total)));
  for (let offset = 4; offset < total; ) {
    const length = Math.min(MAX_READ_CHUNK, total - offset);
    const chunk = await expectOk(transmit, readBinary(offset, length));
    if (chunk.length !== length) throw new JpkiError('jpki_card_error', 'short_read');
    der.set(chunk, offset);
    offset += length;
  }
  return der;
}

/**
 * How many PIN verifications are left (JPKI AP selected), without spending one: 0 when locked,
 * `null` when the card answers 9000 (PIN already verified in this session, no count given).
 */
export async function pinTriesLeft(transmit: Transmit): Promise<number | null> {
  await selectFile(transmit, JpkiFile.authenticationPin);
  const { sw } = await command(transmit, PIN_RETRY_QUERY);
  if (sw === SW_OK) return null;
  if (sw === 0x6983 || sw === 0x6984) return 0;
  if ((sw & 0xfff0) === 0x63c0) return sw & 0x0f;
  throw new JpkiError('jpki_card_error', statusWordHex(sw));
}

/**
 * VERIFY the user-authentication PIN (JPKI AP selected). Refuses anything but exactly four ASCII
 * digits before a byte is sent; the command buffer is zeroed after sending.
 */
export async function verifyPin(transmit: Transmit, pin: string): Promise<void> {
  if (!isJpkiPin(pin)) throw new JpkiError('jpki_pin_format');
  await selectFile(transmit, JpkiFile.authenticationPin);
  const apdu = verifyPinApdu(pin);
  let response: ResponseApdu;
  try {
    response = await command(transmit, apdu);
  } finally {
    apdu.fill(0);
  }
  const status = pinStatus(response.sw);
  if (!status.ok) throw status.error;
}

/**
 * Signs a DigestInfo with the user-authentication key (JPKI AP selected, PIN verified): the card
 * applies PKCS#1 v1.5 type-1 padding and returns the RSA signature (256 bytes for RSA-2048).
 */
export async function signDigestInfo(transmit: Transmit, digestInfo: Uint8Array): Promise<Uint8Array> {
  const apdu = signApdu(digestInfo);
  await selectFile(transmit, JpkiFile.authenticationKey);
  const { data, sw } = await command(transmit, apdu);
  if (sw === 0x6982) throw new JpkiError('jpki_card_error', 'pin_not_verified');
  if (sw !== SW_OK) throw new JpkiError('jpki_card_error', statusWordHex(sw));
  if (data.length === 0) throw new JpkiError('jpki_card_error', 'empty_signature');
  return data.slice();
}
