/**
 * HPKI card (医師資格証 of the JMA, JAHIS-conformant cards) — every APDU the driver sends, in one
 * place so a field report against a physical card can correct them here.
 *
 * Sources (research/protocol-facts.md §A5):
 * - JAHIS HPKI card specification v3.1, Annex C (minimum commands): SELECT `00 A4`, VERIFY
 *   `00 20 00 P2` (63Cx = x tries left), READ BINARY `00 B0`, MSE SET `00 22 41 B6`, PSO-CDS
 *   `00 2A 9E 9A` with the PKCS#1 v1.5 padding done off-card (the full block is sent).
 * - JMA card AIDs, EFs, MSE with tag 84, VERIFY P2 88 and the extended-length PSO-CDS: repo
 *   miyako/hpki `include/apdu.h`, `include/My-Number-Card_macOS.cpp` and README.
 * - PIN 4–16 digits (JAHIS Annex B); MEDIS cards lock after 15 consecutive failures (MEDIS FAQ).
 *
 * UNVERIFIED against a physical card: everything here. MEDIS-issued cards use other AIDs (PIX
 * assigned per CA by MHLW, not published in the sources above) — add them to HPKI_AUTH_AIDS.
 */

/** RID E8 28 BD 08 0F + the JMA PIX of the authentication application. */
export const JMA_AUTH_AID = Uint8Array.from(Buffer.from('E828BD080FA000000391000000000002', 'hex'));
/** The JMA signing (non-repudiation) application: never used for login. */
export const JMA_SIGN_AID = Uint8Array.from(Buffer.from('E828BD080FA000000391000000000001', 'hex'));
/** Authentication-application AIDs tried in order when detecting an HPKI card. */
export const HPKI_AUTH_AIDS: readonly Uint8Array[] = [JMA_AUTH_AID];

export const EF_PIN = 0x0002;
export const EF_KEY = 0x000c;
export const EF_CERTIFICATE = 0x0016;

export const PIN_MIN_LENGTH = 4;
export const PIN_MAX_LENGTH = 16;
/** MEDIS: the IC-card password locks after 15 consecutive failures (JMA cards: UNVERIFIED). */
export const PIN_MAX_TRIES = 15;

/** SELECT by DF name (AID), no FCI. */
export const selectAid = (aid: Uint8Array) => Uint8Array.from([0x00, 0xa4, 0x04, 0x0c, aid.length, ...aid]);
/** SELECT EF by file id under the current DF, no FCI. */
export const selectEf = (id: number) => Uint8Array.of(0x00, 0xa4, 0x02, 0x0c, 0x02, id >> 8, id & 0xff);
/** READ BINARY at a 15-bit offset; le 0 = 256. */
export const readBinary = (offset: number, le: number) => Uint8Array.of(0x00, 0xb0, (offset >> 8) & 0x7f, offset & 0xff, le & 0xff);
/** VERIFY with the PIN as ASCII digits (JMA: P2 = 0x88). */
export const VERIFY_P2 = 0x88;
export const verifyPin = (pin: string) => Uint8Array.from([0x00, 0x20, 0x00, VERIFY_P2, pin.length, ...Buffer.from(pin, 'ascii')]);
/** VERIFY without data: asks for the tries left (63Cx) without spending one. */
export const verifyStatus = () => Uint8Array.of(0x00, 0x20, 0x00, VERIFY_P2);
/** MSE SET for digital signature: tag 84 (key reference) = EF 000C (JMA uses 84, JAHIS names 81). */
export const MSE_SET_AUTH_KEY = Uint8Array.of(0x00, 0x22, 0x41, 0xb6, 0x04, 0x84, 0x02, EF_KEY >> 8, EF_KEY & 0xff);
/**
 * PSO COMPUTE DIGITAL SIGNATURE over the full PKCS#1 v1.5 type-1 block, extended length:
 * `00 2A 9E 9A 00 Lc(2) <block> 00 00` (Le = 65536 → "all").
 */
export const psoCds = (block: Uint8Array) =>
  Uint8Array.from([0x00, 0x2a, 0x9e, 0x9a, 0x00, block.length >> 8, block.length & 0xff, ...block, 0x00, 0x00]);
