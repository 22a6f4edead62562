import { BridgeError } from '../errors.ts';
import * as A from './jpki-apdu.ts';
import { digestInfoSha256, expectOk, hexSw, pinTriesLeftOnCard, readDerFile, splitResponse, verifyPinOnCard, type CardChannel, type CardDriver } from './card-driver.ts';

/** My Number Card, JPKI user-authentication AP (protocol-facts §B; constants in jpki-apdu.ts). */
export const jpkiDriver: CardDriver = {
  type: 'jpki',
  async detect(channel) {
    return splitResponse(await channel.transmit(A.selectAp())).sw === 0x9000;
  },
  async readCertificate(channel) {
    await expectOk(channel, A.selectAp(), 'SELECT JPKI AP');
    await expectOk(channel, A.selectEf(A.EF_AUTH_CERTIFICATE), 'SELECT EF 000A');
    return readDerFile(channel, A.readBinary, 'READ EF 000A');
  },
  pinTriesLeft: (channel) => pinTriesLeftOnCard(channel, () => selectPin(channel), A.verifyStatus(), A.PIN_MAX_TRIES),
  async verifyPin(channel, pin) {
    if (!/^[0-9]{4}$/.test(pin)) throw new BridgeError('bad_request', 'the My Number Card user-authentication PIN is 4 digits');
    await verifyPinOnCard(channel, () => selectPin(channel), A.verifyPin(pin), 'the PIN is locked (unlock at the municipal office)');
  },
  async signDigest(channel, digest) {
    await expectOk(channel, A.selectEf(A.EF_AUTH_KEY), 'SELECT EF 0017');
    const { data, sw } = splitResponse(await channel.transmit(A.sign(digestInfoSha256(digest))));
    if (sw === 0x6982) throw new BridgeError('card_error', 'SIGN: the PIN is not verified');
    if (sw !== 0x9000) throw new BridgeError('card_error', `SIGN: the card answered ${hexSw(sw)}`);
    return data;
  },
};

async function selectPin(channel: CardChannel) {
  await expectOk(channel, A.selectAp(), 'SELECT JPKI AP');
  await expectOk(channel, A.selectEf(A.EF_AUTH_PIN), 'SELECT EF 0018');
}
