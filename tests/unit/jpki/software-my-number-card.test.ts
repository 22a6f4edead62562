import { constants, createHash, createPrivateKey, generateKeyPairSync, privateEncrypt, randomBytes } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  digestInfoSha256,
  pinTriesLeft,
  readAuthenticationCertificate,
  selectJpkiAp,
  signDigestInfo,
  verifyPin,
} from '../../../app/components/card/jpki-apdu.ts';
import type { Transmit } from '../../../app/components/card/jpki-apdu.ts';
import {
  SOFTWARE_MY_NUMBER_CARD_ATR,
  SOFTWARE_MY_NUMBER_CARD_READER,
  createMyNumberCardEmulator,
  rsaPkcs1Type1Sign,
  softwareMyNumberCardScript,
} from '../../../src/demo/software-my-number-card.ts';
import type { MyNumberCardEmulator } from '../../../src/demo/software-my-number-card.ts';
import { createJpkiTestPki, jpkiCardMaterial } from '../../../src/pki/test-pki/index.ts';
import { FakeWebEidWindow } from './fake-web-eid-window.ts';

const PIN = '7305';
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const sha256 = (data: string) => new Uint8Array(createHash('sha256').update(data).digest());
const SELECT_AP = '00A4040C0AD392F000260100000001';

let material: { certificateDer: Uint8Array; privateKeyPkcs8: Uint8Array };
beforeAll(async () => {
  material = await jpkiCardMaterial((await createJpkiTestPki()).cards.valid);
});

/** The status word of a response, as hex. */
const swOf = (response: Uint8Array) => hex(response.subarray(response.length - 2));

describe('rsaPkcs1Type1Sign (the browser card’s RSA private operation)', () => {
  it('equals crypto.privateEncrypt with PKCS#1 v1.5 padding byte for byte', () => {
    const key = createPrivateKey({ key: Buffer.from(material.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
    const jwk = key.export({ format: 'jwk' });
    const inputs = [
      digestInfoSha256(sha256('one')),
      digestInfoSha256(sha256('two')),
      digestInfoSha256(new Uint8Array(32)),
      digestInfoSha256(new Uint8Array(32).fill(0xff)),
      new Uint8Array([0x00]),
      new Uint8Array([0x01, 0x02, 0x03]),
      new Uint8Array(randomBytes(100)),
      new Uint8Array(randomBytes(245)),
    ];
    for (const input of inputs) {
      const expected = new Uint8Array(privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, input));
      expect(hex(rsaPkcs1Type1Sign(jwk, input))).toBe(hex(expected));
    }
  });

  it('agrees on other key sizes and on keys whose signatures have leading zero bytes', () => {
    for (const modulusLength of [1024, 3072]) {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength });
      const jwk = privateKey.export({ format: 'jwk' });
      for (let i = 0; i < 20; i++) {
        const input = digestInfoSha256(new Uint8Array(randomBytes(32)));
        const expected = new Uint8Array(privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, input));
        const actual = rsaPkcs1Type1Sign(jwk, input);
        expect(actual.length).toBe(modulusLength / 8);
        expect(hex(actual)).toBe(hex(expected));
      }
    }
  });

  it('refuses data longer than k − 11 like privateEncrypt', () => {
    const key = createPrivateKey({ key: Buffer.from(material.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
    const tooLong = new Uint8Array(246);
    expect(() => privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, tooLong)).toThrow();
    expect(() => rsaPkcs1Type1Sign(key.export({ format: 'jwk' }), tooLong)).toThrow(/too large/);
  });

  it('detects a broken key instead of returning a wrong signature', () => {
    const jwk = createPrivateKey({ key: Buffer.from(material.privateKeyPkcs8), format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
    const broken: JsonWebKey = { ...jwk, dp: jwk.dq };
    expect(() => rsaPkcs1Type1Sign(broken, digestInfoSha256(sha256('x')))).toThrow(/check/);
  });
});

describe('createMyNumberCardEmulator', () => {
  const newCard = (triesLeft?: number) => createMyNumberCardEmulator({ ...material, pin: PIN, triesLeft });
  const send = async (card: MyNumberCardEmulator, ...apdus: string[]) => {
    let last: Uint8Array = new Uint8Array();
    for (const apdu of apdus) last = await card.transmit(bytes(apdu));
    return last;
  };

  it.each([
    ['an unknown instruction', [SELECT_AP, '00CA000000'], '6D00'],
    ['an unknown class', ['A0A4040C0AD392F000260100000001'], '6E00'],
    ['a command shorter than its header', ['00A4'], '6700'],
    ['an Lc that does not match the data', ['00A4040C0AD392F0'], '6700'],
    ['an extended-length APDU', ['00B00000000100'], '6700'],
    ['another AID', ['00A4040C0AD392F000260100000002'], '6A82'],
    ['SELECT with P2 asking for FCI', ['00A404000AD392F000260100000001'], '6A86'],
    ['SELECT EF before the AP', ['00A4020C02000A'], '6A82'],
    ['SELECT of an EF the emulator does not hold', [SELECT_AP, '00A4020C020001'], '6A82'],
    ['READ BINARY without a current EF', [SELECT_AP, '00B0000004'], '6986'],
    ['READ BINARY of the key EF', [SELECT_AP, '00A4020C020017', '00B0000004'], '6981'],
    ['READ BINARY by SFI', [SELECT_AP, '00A4020C02000A', '00B0810004'], '6A81'],
    ['READ BINARY past the end', [SELECT_AP, '00A4020C02000A', '00B07F0004'], '6B00'],
    ['VERIFY without the PIN EF selected', [SELECT_AP, '002000800431323334'], '6986'],
    ['VERIFY with a 3-byte PIN', [SELECT_AP, '00A4020C020018', '0020008003313233'], '6700'],
    ['VERIFY with another reference', [SELECT_AP, '00A4020C020018', '002000810431323334'], '6A86'],
    ['SIGN without VERIFY', [SELECT_AP, '00A4020C020017', '802A00800401020304' + '00'], '6982'],
    ['SIGN with another CLA', [SELECT_AP, '00A4020C020017', '002A00800401020304' + '00'], '6D00'],
  ])('answers %s with the right status word', async (_, apdus, sw) => {
    expect(swOf(await send(newCard(), ...apdus))).toBe(sw);
  });

  it('returns 6282 with the remaining bytes when Le asks past the end of the file', async () => {
    const card = newCard();
    const last = material.certificateDer.length - 3;
    const response = await send(card, SELECT_AP, '00A4020C02000A', `00B0${last.toString(16).padStart(4, '0')}10`);
    expect(swOf(response)).toBe('6282');
    expect(hex(response.subarray(0, -2))).toBe(hex(material.certificateDer.subarray(last)));
  });

  it('signs only with the key EF selected, after VERIFY, and only up to k − 11 bytes', async () => {
    const card = newCard();
    await send(card, SELECT_AP, '00A4020C020018', `0020008004${hex(new TextEncoder().encode(PIN))}`);
    expect(swOf(await send(card, '00A4020C02000A', '802A00800401020304' + '00'))).toBe('6986');
    const tooLong = 'AA'.repeat(246);
    expect(swOf(await send(card, '00A4020C020017', `802A0080F6${tooLong}00`))).toBe('6700');
    const response = await send(card, '802A00800401020304' + '00');
    expect(swOf(response)).toBe('9000');
    expect(response.length).toBe(258);
  });

  it('starts locked with triesLeft 0 and never shows the PIN in its command log', async () => {
    const card = newCard(0);
    expect(swOf(await send(card, SELECT_AP, '00A4020C020018', `0020008004${hex(new TextEncoder().encode(PIN))}`))).toBe('6983');
    expect(swOf(await send(card, '00200080'))).toBe('6983');
    expect(card.commands).toEqual([`00A4040C D392F000260100000001`, '00A4020C 0018', '00200080 ****', '00200080']);
    expect(card.commands.join(' ')).not.toContain(hex(new TextEncoder().encode(PIN)));
  });

  it('checks its settings', () => {
    expect(() => createMyNumberCardEmulator({ ...material, pin: '12345' })).toThrow(/4 digits/);
    expect(() => createMyNumberCardEmulator({ ...material, pin: PIN, triesLeft: 4 })).toThrow(/triesLeft/);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecPkcs8 = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }));
    expect(() => createMyNumberCardEmulator({ certificateDer: material.certificateDer, privateKeyPkcs8: ecPkcs8, pin: PIN })).toThrow(/RSA/);
  });
});

describe('softwareMyNumberCardScript (the card behind the test extension)', () => {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

  /** Loads the script into a fake window and returns a transmit over SCardTransmit messages. */
  async function browserCard(options: { triesLeft?: number } = {}) {
    const window = new FakeWebEidWindow();
    window.run(softwareMyNumberCardScript({ certificateDer: b64(material.certificateDer), privateKeyPkcs8: b64(material.privateKeyPkcs8), pin: PIN, ...options }));
    const connected = await window.request({ SCardConnect: { protocol: '*', atrs: [] } });
    const transmit: Transmit = async (apdu) => {
      const reply = await window.request({ SCardTransmit: { reader: connected.name, bytes: b64(apdu) } });
      if (typeof reply.bytes !== 'string') throw new Error(String(reply.error));
      return new Uint8Array(Buffer.from(reply.bytes, 'base64'));
    };
    return { window, connected, transmit };
  }

  it('is self-contained browser JavaScript', () => {
    const script = softwareMyNumberCardScript({ ...material, pin: PIN });
    expect(script).not.toMatch(/\bimport\b|\brequire\(/);
    expect(() => new Function('window', script)).not.toThrow();
    expect(script).toMatch(/TEST\/DEMO stand-in/);
  });

  it('answers version and SCardConnect like the extension, with the request id', async () => {
    const window = new FakeWebEidWindow();
    window.run(softwareMyNumberCardScript({ ...material, pin: PIN }));
    expect(await window.request({ version: {} })).toMatchObject({ version: 'software-my-number-card' });
    const connected = await window.request({ SCardConnect: { protocol: '*', atrs: [] } });
    expect(connected).toMatchObject({ name: SOFTWARE_MY_NUMBER_CARD_READER, atr: b64(SOFTWARE_MY_NUMBER_CARD_ATR), protocol: 'T1' });
    expect(connected.hwcrypto).toBeUndefined();
    expect(await window.request({ authenticate: { nonce: 'n' } })).toMatchObject({ error: 'not_supported' });
  });

  it('refuses SCardTransmit before SCardConnect, for another reader and after SCardDisconnect', async () => {
    const window = new FakeWebEidWindow();
    window.run(softwareMyNumberCardScript({ ...material, pin: PIN }));
    const apdu = b64(bytes(SELECT_AP));
    expect(await window.request({ SCardTransmit: { reader: SOFTWARE_MY_NUMBER_CARD_READER, bytes: apdu } })).toMatchObject({ error: 'SCARD_E_INVALID_HANDLE' });
    await window.request({ SCardConnect: { protocol: '*' } });
    expect(await window.request({ SCardTransmit: { reader: 'Other Reader', bytes: apdu } })).toMatchObject({ error: 'SCARD_E_INVALID_HANDLE' });
    expect(await window.request({ SCardTransmit: { reader: SOFTWARE_MY_NUMBER_CARD_READER, bytes: apdu } })).toMatchObject({ bytes: 'kAA=' });
    expect(await window.request({ SCardDisconnect: { reader: SOFTWARE_MY_NUMBER_CARD_READER } })).not.toHaveProperty('error');
    expect(await window.request({ SCardTransmit: { reader: SOFTWARE_MY_NUMBER_CARD_READER, bytes: apdu } })).toMatchObject({ error: 'SCARD_E_INVALID_HANDLE' });
  });

  it('reports no card with behaviour no-card', async () => {
    const window = new FakeWebEidWindow();
    window.run(softwareMyNumberCardScript({ ...material, pin: PIN, behaviour: 'no-card' }));
    expect(await window.request({ SCardConnect: { protocol: '*' } })).toMatchObject({ error: 'SCARD_E_NO_SMARTCARD' });
  });

  it('answers the same APDU sequence exactly as the Node emulator, signature included', async () => {
    const { transmit } = await browserCard();
    const node = createMyNumberCardEmulator({ ...material, pin: PIN });
    const both = async <T>(run: (t: Transmit) => Promise<T>) => [await run(transmit), await run((apdu) => node.transmit(apdu))] as const;
    await both(selectJpkiAp);
    const [browserDer, nodeDer] = await both(readAuthenticationCertificate);
    expect(hex(browserDer)).toBe(hex(material.certificateDer));
    expect(hex(nodeDer)).toBe(hex(browserDer));
    const wrong = await both((t) => verifyPin(t, '0000').catch((e: unknown) => e));
    expect(wrong[0]).toMatchObject({ code: 'jpki_pin_wrong', triesLeft: 2 });
    expect(wrong[1]).toMatchObject({ code: 'jpki_pin_wrong', triesLeft: 2 });
    expect(await both(pinTriesLeft)).toEqual([2, 2]);
    await both((t) => verifyPin(t, PIN));
    for (const message of ['first challenge', 'second challenge', 'third challenge']) {
      const [browserSignature, nodeSignature] = await both((t) => signDigestInfo(t, digestInfoSha256(sha256(message))));
      expect(browserSignature.length).toBe(256);
      expect(hex(browserSignature)).toBe(hex(nodeSignature));
    }
  });

  it('locks after three wrong PINs and exposes only the counter and command headers to the page', async () => {
    const { window, transmit } = await browserCard();
    await selectJpkiAp(transmit);
    for (const pin of ['0000', '1111']) await expect(verifyPin(transmit, pin)).rejects.toMatchObject({ code: 'jpki_pin_wrong' });
    await expect(verifyPin(transmit, '2222')).rejects.toMatchObject({ code: 'jpki_pin_locked' });
    await expect(verifyPin(transmit, PIN)).rejects.toMatchObject({ code: 'jpki_pin_locked' });
    const exposed = (window as unknown as { __hpkiSoftwareMyNumberCard: { triesLeft(): number; commands(): string[] } }).__hpkiSoftwareMyNumberCard;
    expect(exposed.triesLeft()).toBe(0);
    expect(exposed.commands().filter((c) => c.startsWith('00200080'))).toEqual(['00200080 ****', '00200080 ****', '00200080 ****', '00200080 ****']);
  });

  it('starts a new session on SCardConnect: the PIN must be verified again', async () => {
    const { window, transmit } = await browserCard();
    await selectJpkiAp(transmit);
    await verifyPin(transmit, PIN);
    await window.request({ SCardConnect: { protocol: '*' } });
    await selectJpkiAp(transmit);
    await expect(signDigestInfo(transmit, digestInfoSha256(sha256('x')))).rejects.toMatchObject({ reason: 'pin_not_verified' });
  });
});
