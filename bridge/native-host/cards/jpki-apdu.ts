/**
 * My Number Card, JPKI user-authentication application (利用者証明用電子証明書) — every APDU the
 * driver sends, in one place so a field report against a physical card can correct them here.
 *
 * Sources (research/protocol-facts.md §B):
 * - §B1: AID and SELECT `00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01`; EF 000A user-auth
 *   certificate, 0017 user-auth private key, 0018 user-auth PIN [repos jpki/myna `src/jpki.rs`,
 *   soltia48/myna-card `src/ap/jpki.rs`, OpenSC card-jpki].
 * - §B2: READ BINARY in ≤256-byte chunks after parsing the DER length; VERIFY `00 20 00 80 04 <4
 *   ASCII digits>`; `00 20 00 80` without data → 63Cx tries left, 63C0/6984 blocked; SIGN
 *   `80 2A 00 80 Lc <DigestInfo> 00` — the card adds the PKCS#1 v1.5 type-1 padding [jpki/myna].
 * - §B3: the PIN is 4 digits and locks after 3 consecutive failures [municipal pages, J-LIS FAQ].
 *
 * UNVERIFIED against a physical card here (the sequence matches two independent open-source
 * readers that were used with real cards).
 */
export const JPKI_AP_AID = Uint8Array.from([0xd3, 0x92, 0xf0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01]);

export const EF_AUTH_CERTIFICATE = 0x000a;
export const EF_AUTH_KEY = 0x0017;
export const EF_AUTH_PIN = 0x0018;

export const PIN_LENGTH = 4;
export const PIN_MAX_TRIES = 3;

export const selectAp = () => Uint8Array.from([0x00, 0xa4, 0x04, 0x0c, JPKI_AP_AID.length, ...JPKI_AP_AID]);
export const selectEf = (id: number) => Uint8Array.of(0x00, 0xa4, 0x02, 0x0c, 0x02, id >> 8, id & 0xff);
export const readBinary = (offset: number, le: number) => Uint8Array.of(0x00, 0xb0, (offset >> 8) & 0x7f, offset & 0xff, le & 0xff);
export const verifyPin = (pin: string) => Uint8Array.from([0x00, 0x20, 0x00, 0x80, pin.length, ...Buffer.from(pin, 'ascii')]);
export const verifyStatus = () => Uint8Array.of(0x00, 0x20, 0x00, 0x80);
/** COMPUTE DIGITAL SIGNATURE (proprietary class 80) over a DigestInfo; Le 00. */
export const sign = (digestInfo: Uint8Array) => Uint8Array.from([0x80, 0x2a, 0x00, 0x80, digestInfo.length, ...digestInfo, 0x00]);
