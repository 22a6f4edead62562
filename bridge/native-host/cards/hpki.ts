import { BridgeError } from '../errors.ts';
import * as A from './hpki-apdu.ts';
import { digestInfoSha256, expectOk, hexSw, pinTriesLeftOnCard, readDerFile, splitResponse, verifyPinOnCard, type CardChannel, type CardDriver } from './card-driver.ts';

/**
 * HPKI card, authentication application (protocol-facts §A5; constants in hpki-apdu.ts). The
 * card's PSO-CDS signs the raw block, so the EMSA-PKCS1-v1_5 padding is built here.
 */
export function pkcs1Type1Block(digestInfo: Uint8Array, keyBytes: number): Uint8Array {
  if (digestInfo.length > keyBytes - 11) throw new BridgeError('card_error', 'the DigestInfo does not fit the key');
  const block = new Uint8Array(keyBytes).fill(0xff);
  block[0] = 0x00;
  block[1] = 0x01;
  block[keyBytes - digestInfo.length - 1] = 0x00;
  block.set(digestInfo, keyBytes - digestInfo.length);
  return block;
}

/** The modulus length in bytes the padding must fill, from the certificate read off the same card. */
export function createHpkiDriver(keyBytesOf: () => number): CardDriver {
  let aid: Uint8Array = A.HPKI_AUTH_AIDS[0]!;
  async function selectApp(channel: CardChannel) {
    for (const candidate of A.HPKI_AUTH_AIDS) {
      if (splitResponse(await channel.transmit(A.selectAid(candidate))).sw === 0x9000) {
        aid = candidate;
        return true;
      }
    }
    return false;
  }
  async function selectPin(channel: CardChannel) {
    if (!(await selectApp(channel))) throw new BridgeError('wrong_card_type', 'no HPKI authentication application');
    await expectOk(channel, A.selectEf(A.EF_PIN), 'SELECT EF 0002');
  }
  return {
    type: 'hpki',
    detect: selectApp,
    async readCertificate(channel) {
      await expectOk(channel, A.selectAid(aid), 'SELECT HPKI auth AP');
      await expectOk(channel, A.selectEf(A.EF_CERTIFICATE), 'SELECT EF 0016');
      return readDerFile(channel, A.readBinary, 'READ EF 0016');
    },
    pinTriesLeft: (channel) => pinTriesLeftOnCard(channel, () => selectPin(channel), A.verifyStatus(), A.PIN_MAX_TRIES),
    async verifyPin(channel, pin) {
      if (pin.length < A.PIN_MIN_LENGTH || pin.length > A.PIN_MAX_LENGTH) throw new BridgeError('bad_request', 'the HPKI card PIN is 4–16 digits');
      await verifyPinOnCard(channel, () => selectPin(channel), A.verifyPin(pin), 'the PIN is locked (ask the card issuer to unlock it)');
    },
    async signDigest(channel, digest) {
      await expectOk(channel, A.MSE_SET_AUTH_KEY, 'MSE SET');
      const block = pkcs1Type1Block(digestInfoSha256(digest), keyBytesOf());
      const { data, sw } = splitResponse(await channel.transmit(A.psoCds(block)));
      if (sw === 0x6982) throw new BridgeError('card_error', 'PSO-CDS: the PIN is not verified');
      if (sw !== 0x9000) throw new BridgeError('card_error', `PSO-CDS: the card answered ${hexSw(sw)}`);
      return data;
    },
  };
}
