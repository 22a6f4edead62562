/**
 * TEST AND DEMO STAND-IN — NEVER FOR PRODUCTION. An HPKI card's authentication application at the
 * APDU level, as the bridge's driver expects it (bridge/native-host/cards/hpki-apdu.ts, from
 * protocol-facts §A5): JMA AIDs, EF 0002 PIN / 000C key / 0016 certificate, VERIFY P2 88,
 * MSE SET tag 84, PSO-CDS over the full PKCS#1 block (extended length), 63Cx, 6983 when locked.
 */
import { constants, createPrivateKey, privateEncrypt, type KeyObject } from 'node:crypto';
import * as A from '../native-host/cards/hpki-apdu.ts';

export interface ApduCard {
  transmit(apdu: Uint8Array): Uint8Array;
  /** Power-off / reset / removal: nothing selected, the PIN no longer verified. */
  reset(): void;
  readonly triesLeft: number;
}

const sw = (value: number, data: Uint8Array = new Uint8Array(0)) => Uint8Array.from([...data, value >> 8, value & 0xff]);
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

interface Command {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
  le: number;
}

/** ISO 7816-4 cases 1–4, short and extended; null when malformed. */
export function parseApdu(apdu: Uint8Array): Command | null {
  if (apdu.length < 4) return null;
  const c: Command = { cla: apdu[0]!, ins: apdu[1]!, p1: apdu[2]!, p2: apdu[3]!, data: new Uint8Array(0), le: -1 };
  const body = apdu.subarray(4);
  if (body.length === 0) return c;
  if (body.length === 1) return { ...c, le: body[0] === 0 ? 256 : body[0]! };
  if (body[0] === 0 && body.length >= 3) {
    const n = (body[1]! << 8) | body[2]!;
    if (body.length === 3) return { ...c, le: n === 0 ? 65536 : n };
    if (n === 0) return null;
    if (body.length === 3 + n) return { ...c, data: body.subarray(3, 3 + n) };
    if (body.length === 5 + n) {
      const le = (body[3 + n]! << 8) | body[4 + n]!;
      return { ...c, data: body.subarray(3, 3 + n), le: le === 0 ? 65536 : le };
    }
    return null;
  }
  const lc = body[0]!;
  if (body.length === 1 + lc) return { ...c, data: body.subarray(1, 1 + lc) };
  if (body.length === 2 + lc) return { ...c, data: body.subarray(1, 1 + lc), le: body[1 + lc] === 0 ? 256 : body[1 + lc]! };
  return null;
}

export interface HpkiCardOptions {
  certificateDer: Uint8Array;
  privateKeyPkcs8: Uint8Array;
  pin: string;
  /** Default A.PIN_MAX_TRIES (15, MEDIS). */
  maxTries?: number;
  triesLeft?: number;
}

export function createHpkiCardEmulator(options: HpkiCardOptions): ApduCard {
  const key: KeyObject = createPrivateKey({ key: Buffer.from(options.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType !== 'rsa') throw new Error('the virtual HPKI card holds an RSA key');
  const keyBytes = Math.ceil(key.asymmetricKeyDetails!.modulusLength! / 8);
  const maxTries = options.maxTries ?? A.PIN_MAX_TRIES;
  let tries = options.triesLeft ?? maxTries;
  let app: 'auth' | 'sign' | null = null;
  let ef: number | null = null;
  let verified = false;
  let keySet = false;
  const cert = options.certificateDer;

  function transmit(apdu: Uint8Array): Uint8Array {
    const c = parseApdu(apdu);
    if (!c) return sw(0x6700);
    if (c.cla !== 0x00) return sw(0x6e00);
    switch (c.ins) {
      case 0xa4: {
        if (c.p1 === 0x04) {
          if (same(c.data, A.JMA_AUTH_AID)) app = 'auth';
          else if (same(c.data, A.JMA_SIGN_AID)) app = 'sign';
          else return sw(0x6a82);
          ef = null;
          verified = false;
          keySet = false;
          return sw(0x9000);
        }
        if (c.p1 === 0x02 && c.data.length === 2) {
          const id = (c.data[0]! << 8) | c.data[1]!;
          if (app !== 'auth' || ![A.EF_PIN, A.EF_KEY, A.EF_CERTIFICATE].includes(id)) return sw(0x6a82);
          ef = id;
          return sw(0x9000);
        }
        return sw(0x6a86);
      }
      case 0xb0: {
        if (ef !== A.EF_CERTIFICATE) return sw(ef === null ? 0x6986 : 0x6981);
        const offset = ((c.p1 & 0x7f) << 8) | c.p2;
        if (offset >= cert.length) return sw(0x6b00);
        const le = c.le === -1 ? 256 : c.le;
        const end = Math.min(cert.length, offset + le);
        return sw(end - offset < le ? 0x6282 : 0x9000, cert.subarray(offset, end));
      }
      case 0x20: {
        if (app !== 'auth') return sw(0x6985);
        if (c.p1 !== 0x00 || c.p2 !== A.VERIFY_P2) return sw(0x6a86);
        if (tries === 0) return sw(0x6983);
        if (c.data.length === 0) return verified ? sw(0x9000) : sw(0x63c0 | tries);
        if (Buffer.from(c.data).toString('latin1') === options.pin) {
          tries = maxTries;
          verified = true;
          return sw(0x9000);
        }
        tries -= 1;
        verified = false;
        return sw(tries === 0 ? 0x6983 : 0x63c0 | tries);
      }
      case 0x22: {
        if (c.p1 !== 0x41 || c.p2 !== 0xb6) return sw(0x6a86);
        if (!same(c.data, A.MSE_SET_AUTH_KEY.subarray(5))) return sw(0x6a88);
        keySet = true;
        return sw(0x9000);
      }
      case 0x2a: {
        if (c.p1 !== 0x9e || c.p2 !== 0x9a) return sw(0x6a86);
        if (!keySet) return sw(0x6985);
        if (!verified) return sw(0x6982);
        if (c.data.length !== keyBytes || c.data[0] !== 0x00 || c.data[1] !== 0x01) return sw(0x6a80);
        return sw(0x9000, new Uint8Array(privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, Buffer.from(c.data))));
      }
      default:
        return sw(0x6d00);
    }
  }
  return {
    transmit,
    reset() {
      app = null;
      ef = null;
      verified = false;
      keySet = false;
    },
    get triesLeft() {
      return tries;
    },
  };
}

/** A card that is neither: answers 6A82 to every SELECT. */
export function createUnknownCard(): ApduCard {
  return { transmit: (apdu) => (apdu[1] === 0xa4 ? sw(0x6a82) : sw(0x6d00)), reset() {}, triesLeft: 0 };
}
