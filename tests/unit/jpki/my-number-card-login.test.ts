import { X509Certificate, createHash, verify as nodeVerify } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { MyNumberCardError, proveWithMyNumberCard } from '../../../app/components/card/my-number-card-login.ts';
import type { MyNumberCardStep, MyNumberCardTransport } from '../../../app/components/card/my-number-card-login.ts';
import { CardError } from '../../../app/components/card/web-eid-bridge.ts';
import type { CardReaderConnection } from '../../../app/components/card/web-eid-bridge.ts';
import { createMyNumberCardEmulator } from '../../../src/demo/software-my-number-card.ts';
import type { MyNumberCardEmulator } from '../../../src/demo/software-my-number-card.ts';
import { createJpkiTestPki, jpkiCardMaterial } from '../../../src/pki/test-pki/index.ts';

const PIN = '2580';
const challenge = 'server challenge: 32 random bytes, base64';
const challengeDigest = new Uint8Array(createHash('sha256').update(challenge).digest());

let material: { certificateDer: Uint8Array; privateKeyPkcs8: Uint8Array };
beforeAll(async () => {
  material = await jpkiCardMaterial((await createJpkiTestPki()).cards.valid);
});

/** A reader holding `card`; counts connects and disconnects, and can fail at the n-th APDU. */
function readerWith(card: MyNumberCardEmulator, options: { failAtApdu?: number; failure?: Error } = {}) {
  const calls = { connect: 0, disconnect: 0, apdus: 0 };
  const transport: MyNumberCardTransport = {
    connect: async (): Promise<CardReaderConnection> => {
      calls.connect += 1;
      card.reset();
      return {
        name: 'Software My Number Card',
        atr: new Uint8Array(),
        transmit: async (apdu) => {
          calls.apdus += 1;
          if (calls.apdus === options.failAtApdu) throw options.failure;
          return card.transmit(apdu);
        },
        disconnect: async () => {
          calls.disconnect += 1;
        },
      };
    },
  };
  return { transport, calls };
}

async function rejectionOf(promise: Promise<unknown>): Promise<MyNumberCardError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof MyNumberCardError)) throw new Error(`expected a MyNumberCardError, got ${String(error)}`);
  return error;
}

describe('proveWithMyNumberCard', () => {
  const newCard = (triesLeft?: number) => createMyNumberCardEmulator({ ...material, pin: PIN, triesLeft });

  it('reads the certificate and signs DigestInfo(challengeDigest) in the JPKI sequence, then disconnects', async () => {
    const card = newCard();
    const { transport, calls } = readerWith(card);
    const steps: MyNumberCardStep[] = [];
    const proof = await proveWithMyNumberCard({ challengeDigest, pin: PIN, onProgress: (step) => steps.push(step) }, transport);

    expect(Buffer.from(proof.certificateDer).equals(Buffer.from(material.certificateDer))).toBe(true);
    const { publicKey } = new X509Certificate(proof.certificateDer);
    expect(nodeVerify('sha256', Buffer.from(challenge), publicKey, proof.signature)).toBe(true);
    expect(steps).toEqual(['connecting', 'reading_certificate', 'verifying_pin', 'signing', 'done']);
    expect(calls).toMatchObject({ connect: 1, disconnect: 1 });

    const sequence = card.commands.filter((c) => !c.startsWith('00B0'));
    expect(sequence).toEqual([
      '00A4040C D392F000260100000001',
      '00A4020C 000A',
      '00A4020C 0018',
      '00200080',
      '00A4020C 0018',
      '00200080 ****',
      '00A4020C 0017',
      expect.stringMatching(/^802A0080 3031300D060960864801650304020105000420[0-9A-F]{64} Le=256$/),
    ]);
  });

  it('reports a wrong PIN with the tries left and still disconnects', async () => {
    const { transport, calls } = readerWith(newCard());
    const error = await rejectionOf(proveWithMyNumberCard({ challengeDigest, pin: '0000' }, transport));
    expect(error).toMatchObject({ code: 'jpki_pin_wrong', triesLeft: 2 });
    expect(calls.disconnect).toBe(1);
  });

  it('reports the lock on the third wrong PIN', async () => {
    const { transport } = readerWith(newCard(1));
    expect(await rejectionOf(proveWithMyNumberCard({ challengeDigest, pin: '0000' }, transport))).toMatchObject({ code: 'jpki_pin_locked' });
  });

  it('does not send the PIN to a locked card', async () => {
    const card = newCard(0);
    const { transport } = readerWith(card);
    expect(await rejectionOf(proveWithMyNumberCard({ challengeDigest, pin: PIN }, transport))).toMatchObject({ code: 'jpki_pin_locked', triesLeft: 0 });
    expect(card.commands).not.toContain('00200080 ****');
  });

  it('refuses a PIN that is not 4 digits without touching the card', async () => {
    const { transport, calls } = readerWith(newCard());
    for (const pin of ['123', '12345', 'abcd', '１２３４']) {
      expect(await rejectionOf(proveWithMyNumberCard({ challengeDigest, pin }, transport))).toMatchObject({ code: 'jpki_pin_format' });
    }
    expect(calls.connect).toBe(0);
  });

  it('refuses a challenge digest that is not 32 bytes without touching the card', async () => {
    const { transport, calls } = readerWith(newCard());
    expect(await rejectionOf(proveWithMyNumberCard({ challengeDigest: new Uint8Array(20), pin: PIN }, transport))).toMatchObject({ code: 'jpki_card_error' });
    expect(calls.connect).toBe(0);
  });

  it.each([
    [new CardError('card_not_present', 'SCARD_E_NO_SMARTCARD'), 'card_not_present'],
    [new CardError('card_extension_missing', 'unavailable'), 'card_extension_missing'],
    [new CardError('card_cancelled', 'timeout'), 'jpki_card_error'],
    [new Error('anything else'), 'jpki_card_error'],
  ] as const)('maps a connect failure %s to %s', async (failure, code) => {
    const transport: MyNumberCardTransport = { connect: vi.fn(async () => Promise.reject(failure)) };
    expect(await rejectionOf(proveWithMyNumberCard({ challengeDigest, pin: PIN }, transport))).toMatchObject({ code });
  });

  it('maps a card removed during the exchange to card_not_present and disconnects', async () => {
    const { transport, calls } = readerWith(newCard(), { failAtApdu: 4, failure: new CardError('card_not_present', 'SCARD_W_REMOVED_CARD') });
    expect(await rejectionOf(proveWithMyNumberCard({ challengeDigest, pin: PIN }, transport))).toMatchObject({ code: 'card_not_present', reason: 'SCARD_W_REMOVED_CARD' });
    expect(calls.disconnect).toBe(1);
  });

  it('reports a card without the JPKI AP (e.g. an HPKI card) as jpki_card_error with the status word', async () => {
    const transport: MyNumberCardTransport = {
      connect: async () => ({ name: 'r', atr: new Uint8Array(), transmit: async () => Uint8Array.of(0x6a, 0x82), disconnect: async () => undefined }),
    };
    expect(await rejectionOf(proveWithMyNumberCard({ challengeDigest, pin: PIN }, transport))).toMatchObject({ code: 'jpki_card_error', reason: '6A82' });
  });
});
