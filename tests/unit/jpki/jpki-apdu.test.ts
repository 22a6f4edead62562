import { X509Certificate, createHash, verify as nodeVerify } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  JpkiError,
  PIN_RETRY_QUERY,
  SELECT_JPKI_AP,
  SHA256_DIGEST_INFO_PREFIX,
  digestInfoSha256,
  parseResponse,
  pinStatus,
  pinTriesLeft,
  readAuthenticationCertificate,
  readBinary,
  selectEf,
  selectJpkiAp,
  signApdu,
  signDigestInfo,
  verifyPin,
  verifyPinApdu,
} from '../../../app/components/card/jpki-apdu.ts';
import type { Transmit } from '../../../app/components/card/jpki-apdu.ts';
import { createMyNumberCardEmulator } from '../../../src/demo/software-my-number-card.ts';
import type { MyNumberCardEmulator } from '../../../src/demo/software-my-number-card.ts';
import { createJpkiTestPki, jpkiCardMaterial } from '../../../src/pki/test-pki/index.ts';
import type { JpkiTestPki } from '../../../src/pki/test-pki/index.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase();
const sha256 = (data: string | Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());
const PIN = '4821';

/** Rejection of `promise` as a JpkiError, for field-level assertions. */
async function jpkiErrorOf(promise: Promise<unknown>): Promise<JpkiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof JpkiError)) throw new Error(`expected a JpkiError, got ${String(error)}`);
  return error;
}

describe('JPKI APDUs', () => {
  it('builds SELECT AP, SELECT EF, READ BINARY, VERIFY, retry query and SIGN byte for byte', () => {
    expect(hex(SELECT_JPKI_AP)).toBe('00A4040C0AD392F000260100000001');
    expect(hex(selectEf(0x000a))).toBe('00A4020C02000A');
    expect(hex(selectEf(0x0017))).toBe('00A4020C020017');
    expect(hex(selectEf(0x0018))).toBe('00A4020C020018');
    expect(hex(readBinary(0, 4))).toBe('00B0000004');
    expect(hex(readBinary(0x0104, 256))).toBe('00B0010400');
    expect(hex(readBinary(0x7fff, 1))).toBe('00B07FFF01');
    expect(hex(verifyPinApdu('1234'))).toBe('002000800431323334');
    expect(hex(PIN_RETRY_QUERY)).toBe('00200080');
    const digestInfo = digestInfoSha256(new Uint8Array(32).fill(0xab));
    expect(hex(signApdu(digestInfo))).toBe(`802A008033${hex(digestInfo)}00`);
  });

  it('wraps a SHA-256 hash in the DigestInfo prefix and refuses other lengths', () => {
    const hash = sha256('challenge');
    expect(hex(SHA256_DIGEST_INFO_PREFIX)).toBe('3031300D060960864801650304020105000420');
    expect(hex(digestInfoSha256(hash))).toBe(`3031300D060960864801650304020105000420${hex(hash)}`);
    expect(() => digestInfoSha256(new Uint8Array(31))).toThrow(RangeError);
    expect(() => digestInfoSha256(new Uint8Array(33))).toThrow(RangeError);
  });

  it('refuses READ BINARY arguments a short APDU cannot carry', () => {
    expect(() => readBinary(0, 0)).toThrow(RangeError);
    expect(() => readBinary(0, 257)).toThrow(RangeError);
    expect(() => readBinary(0x8000, 1)).toThrow(RangeError);
    expect(() => signApdu(new Uint8Array(246))).toThrow(RangeError);
  });

  it.each([
    [0x9000, { ok: true }],
    [0x63c2, { ok: false, error: { code: 'jpki_pin_wrong', triesLeft: 2, reason: '63C2' } }],
    [0x63c1, { ok: false, error: { code: 'jpki_pin_wrong', triesLeft: 1, reason: '63C1' } }],
    [0x63c0, { ok: false, error: { code: 'jpki_pin_locked', reason: '63C0' } }],
    [0x6983, { ok: false, error: { code: 'jpki_pin_locked', reason: '6983' } }],
    [0x6984, { ok: false, error: { code: 'jpki_pin_locked', reason: '6984' } }],
    [0x6a82, { ok: false, error: { code: 'jpki_card_error', reason: '6A82' } }],
    [0x6700, { ok: false, error: { code: 'jpki_card_error', reason: '6700' } }],
  ])('maps VERIFY status word %s', (sw, expected) => {
    expect(pinStatus(sw)).toMatchObject(expected);
  });

  it('refuses a response without a status word', () => {
    expect(() => parseResponse(new Uint8Array([0x90]))).toThrow(JpkiError);
    expect(parseResponse(Uint8Array.of(1, 2, 0x90, 0x00))).toEqual({ data: Uint8Array.of(1, 2), sw: 0x9000 });
  });
});

describe('JPKI client against the My Number Card emulator', () => {
  let pki: JpkiTestPki;
  let material: { certificateDer: Uint8Array; privateKeyPkcs8: Uint8Array };
  beforeAll(async () => {
    pki = await createJpkiTestPki();
    material = await jpkiCardMaterial(pki.cards.valid);
  });

  const newCard = (triesLeft?: number): MyNumberCardEmulator => createMyNumberCardEmulator({ ...material, pin: PIN, triesLeft });
  const transmitOf = (card: MyNumberCardEmulator): Transmit => (apdu) => card.transmit(apdu);

  it('reads the user-authentication certificate: 4-byte head, then ≤ 256-byte chunks up to the DER length', async () => {
    const card = newCard();
    await selectJpkiAp(transmitOf(card));
    const der = await readAuthenticationCertificate(transmitOf(card));
    expect(hex(der)).toBe(hex(material.certificateDer));

    const reads = card.commands.filter((c) => c.startsWith('00B0'));
    expect(reads[0]).toBe('00B00000 Le=4');
    const total = material.certificateDer.length;
    let offset = 4;
    for (const read of reads.slice(1)) {
      const [, le] = /Le=(\d+)$/.exec(read)!;
      expect(read.slice(4, 8)).toBe(offset.toString(16).toUpperCase().padStart(4, '0'));
      expect(Number(le)).toBeLessThanOrEqual(256);
      offset += Number(le);
    }
    expect(offset).toBe(total);
    expect(card.commands.slice(0, 2)).toEqual(['00A4040C D392F000260100000001', '00A4020C 000A']);
  });

  it('never reads past the DER into the padding of a larger EF', async () => {
    const padded = new Uint8Array(material.certificateDer.length + 700).fill(0xff);
    padded.set(material.certificateDer);
    const requested: Array<[number, number]> = [];
    // A card whose EF 000A is bigger than the certificate, as on real cards.
    const transmit: Transmit = async (apdu) => {
      if (apdu[1] === 0xa4) return Uint8Array.of(0x90, 0x00);
      const offset = (apdu[2]! << 8) | apdu[3]!;
      const length = apdu[4] === 0 ? 256 : apdu[4]!;
      requested.push([offset, length]);
      return Uint8Array.of(...padded.subarray(offset, offset + length), 0x90, 0x00);
    };
    expect(hex(await readAuthenticationCertificate(transmit))).toBe(hex(material.certificateDer));
    expect(Math.max(...requested.map(([o, l]) => o + l))).toBe(material.certificateDer.length);
  });

  it('refuses a file that is not a DER certificate or declares more than 16 KiB', async () => {
    const answering = (head: number[]): Transmit => async (apdu) => (apdu[1] === 0xa4 ? Uint8Array.of(0x90, 0x00) : Uint8Array.of(...head, 0x90, 0x00));
    expect(await jpkiErrorOf(readAuthenticationCertificate(answering([0x04, 0x82, 0x01, 0x00])))).toMatchObject({ code: 'jpki_card_error', reason: 'not_a_certificate' });
    expect(await jpkiErrorOf(readAuthenticationCertificate(answering([0x30, 0x82, 0x40, 0x01])))).toMatchObject({ code: 'jpki_card_error', reason: 'certificate_too_large' });
    expect(await jpkiErrorOf(readAuthenticationCertificate(answering([0x30, 0x84, 0, 0])))).toMatchObject({ code: 'jpki_card_error', reason: 'certificate_length' });
  });

  it('fails with the status word when the JPKI AP was not selected', async () => {
    expect(await jpkiErrorOf(readAuthenticationCertificate(transmitOf(newCard())))).toMatchObject({ code: 'jpki_card_error', reason: '6A82' });
  });

  it('wraps a transport failure as jpki_card_error and keeps it as the cause', async () => {
    const failure = new Error('SCARD_W_REMOVED_CARD');
    const error = await jpkiErrorOf(selectJpkiAp(async () => Promise.reject(failure)));
    expect(error).toMatchObject({ code: 'jpki_card_error', reason: 'transmit_failed' });
    expect(error.cause).toBe(failure);
  });

  it('asks the retry counter without spending a try', async () => {
    const card = newCard();
    const transmit = transmitOf(card);
    await selectJpkiAp(transmit);
    expect(await pinTriesLeft(transmit)).toBe(3);
    expect(await pinTriesLeft(transmit)).toBe(3);
    expect(card.triesLeft).toBe(3);

    const locked = transmitOf(newCard(0));
    await selectJpkiAp(locked);
    expect(await pinTriesLeft(locked)).toBe(0);
  });

  it('counts wrong PINs down, locks at 0 and stays locked for the right PIN', async () => {
    const card = newCard();
    const transmit = transmitOf(card);
    await selectJpkiAp(transmit);
    expect(await jpkiErrorOf(verifyPin(transmit, '0000'))).toMatchObject({ code: 'jpki_pin_wrong', triesLeft: 2 });
    expect(await pinTriesLeft(transmit)).toBe(2);
    expect(await jpkiErrorOf(verifyPin(transmit, '1111'))).toMatchObject({ code: 'jpki_pin_wrong', triesLeft: 1 });
    expect(await jpkiErrorOf(verifyPin(transmit, '2222'))).toMatchObject({ code: 'jpki_pin_locked' });
    expect(card.triesLeft).toBe(0);
    expect(await jpkiErrorOf(verifyPin(transmit, PIN))).toMatchObject({ code: 'jpki_pin_locked', reason: '6983' });
    expect(await pinTriesLeft(transmit)).toBe(0);
  });

  it('resets the counter on the right PIN', async () => {
    const card = newCard();
    const transmit = transmitOf(card);
    await selectJpkiAp(transmit);
    await expect(verifyPin(transmit, '9999')).rejects.toMatchObject({ code: 'jpki_pin_wrong', triesLeft: 2 });
    await verifyPin(transmit, PIN);
    expect(card.triesLeft).toBe(3);
  });

  it.each(['123', '12345', '12a4', '１２３４', ' 1234', '1234\n', '', 1234 as unknown as string])(
    'refuses the PIN %j before sending anything',
    async (pin) => {
      const transmit = vi.fn<Transmit>(async () => Uint8Array.of(0x90, 0x00));
      expect(await jpkiErrorOf(verifyPin(transmit, pin))).toMatchObject({ code: 'jpki_pin_format' });
      expect(transmit).not.toHaveBeenCalled();
      expect(() => verifyPinApdu(pin)).toThrow(JpkiError);
    },
  );

  it('zeroes the VERIFY command buffer after sending it', async () => {
    const sent: Uint8Array[] = [];
    const transmit: Transmit = async (apdu) => {
      sent.push(apdu);
      return Uint8Array.of(0x90, 0x00);
    };
    await verifyPin(transmit, PIN);
    // SELECT EF 0018, then the 9-byte VERIFY, which must hold zeros only once sent.
    expect(sent.map((apdu) => apdu.length)).toEqual([7, 9]);
    expect([...sent[1]!]).toEqual(new Array(9).fill(0));
  });

  it('signs DigestInfo(SHA-256) after VERIFY with a signature that verifies under the certificate key', async () => {
    const card = newCard();
    const transmit = transmitOf(card);
    await selectJpkiAp(transmit);
    await verifyPin(transmit, PIN);
    const message = 'challenge for the My Number Card';
    const signature = await signDigestInfo(transmit, digestInfoSha256(sha256(message)));
    expect(signature.length).toBe(256);
    const { publicKey } = new X509Certificate(material.certificateDer);
    expect(nodeVerify('sha256', Buffer.from(message), publicKey, signature)).toBe(true);
    expect(nodeVerify('sha256', Buffer.from(`${message}!`), publicKey, signature)).toBe(false);
    expect(card.commands.slice(-2)).toEqual(['00A4020C 0017', `802A0080 ${hex(digestInfoSha256(sha256(message)))} Le=256`]);
  });

  it('refuses to sign before VERIFY, after a wrong PIN and after the AP is selected again', async () => {
    const card = newCard();
    const transmit = transmitOf(card);
    const digestInfo = digestInfoSha256(sha256('x'));
    await selectJpkiAp(transmit);
    expect(await jpkiErrorOf(signDigestInfo(transmit, digestInfo))).toMatchObject({ code: 'jpki_card_error', reason: 'pin_not_verified' });

    await verifyPin(transmit, PIN);
    await expect(verifyPin(transmit, '0000')).rejects.toMatchObject({ code: 'jpki_pin_wrong' });
    expect(await jpkiErrorOf(signDigestInfo(transmit, digestInfo))).toMatchObject({ reason: 'pin_not_verified' });

    await verifyPin(transmit, PIN);
    await selectJpkiAp(transmit);
    expect(await jpkiErrorOf(signDigestInfo(transmit, digestInfo))).toMatchObject({ reason: 'pin_not_verified' });

    await verifyPin(transmit, PIN);
    card.reset();
    await selectJpkiAp(transmit);
    expect(await jpkiErrorOf(signDigestInfo(transmit, digestInfo))).toMatchObject({ reason: 'pin_not_verified' });
  });
});
