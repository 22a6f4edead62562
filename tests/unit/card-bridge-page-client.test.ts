/**
 * The page's side of the card bridge (app/components/card/web-eid-bridge.ts) through the real
 * web-eid 0.0.8 package: which legacy message it posts for each card, and how the bridge's answers
 * become the page's error codes and messages. The "extension" here is a listener on the window
 * that answers as bridge/extension does (its legacy error strings: bridge/extension/src/page-protocol.ts).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { authenticateWithCard, cardErrorCode, cardMessageCode, isCardExtensionAvailable, type CardError } from '../../app/components/card/web-eid-bridge.ts';
import { softwareCardScript } from '../../src/demo/software-card-script.ts';
import { legacyErrorReply } from '../../bridge/extension/src/page-protocol.ts';
import { FakeWebEidWindow } from './jpki/fake-web-eid-window.ts';
import ja from '../../src/i18n/messages/ja.json' with { type: 'json' };
import en from '../../src/i18n/messages/en.json' with { type: 'json' };

type Request = { id: string; hwcrypto?: boolean; version?: unknown; authenticate?: { nonce?: string; card?: string } };

let window: FakeWebEidWindow;
const received: Request[] = [];
/** What the fake bridge answers to `authenticate`, by nonce. */
const answers: Record<string, (request: Request) => Record<string, unknown>> = {
  'token-please-0000000000000000000000000000000': (r) => ({ token: `token-for-${r.authenticate?.card ?? 'default'}` }),
  'wrong-card-00000000000000000000000000000000': () => legacyErrorReply('x', 'wrong_card_type'),
  'pin-locked-00000000000000000000000000000000': () => legacyErrorReply('x', 'pin_locked'),
  'no-card-0000000000000000000000000000000000000': () => legacyErrorReply('x', 'no_card'),
  'cancelled-000000000000000000000000000000000': () => legacyErrorReply('x', 'cancelled'),
};

beforeAll(() => {
  vi.stubGlobal('WebSocket', class {
    constructor() {
      throw new Error('no WebSocket in unit tests');
    }
  });
  window = new FakeWebEidWindow();
  vi.stubGlobal('window', window);
  window.addEventListener('message', (event) => {
    const data = (event as MessageEvent).data as Request;
    if (!data || data.hwcrypto !== true) return;
    received.push(data);
    const reply = data.version !== undefined ? { version: '0.1.0' } : answers[data.authenticate?.nonce ?? '']?.(data) ?? { error: 'invalid_argument' };
    window.postMessage({ ...reply, id: data.id });
  });
});
afterAll(() => vi.unstubAllGlobals());

const rejection = (promise: Promise<unknown>) => promise.then(() => { throw new Error('resolved'); }, (e: CardError) => e);

describe('asking the card bridge for a card', () => {
  it('the HPKI card: the package’s own authenticate message, no card field (any Web eID extension understands it)', async () => {
    expect(await isCardExtensionAvailable(2)).toBe(true);
    expect(await authenticateWithCard('token-please-0000000000000000000000000000000')).toBe('token-for-default');
    expect(received.at(-1)!.authenticate).toEqual({ nonce: 'token-please-0000000000000000000000000000000' });
  });

  it('the My Number Card: the same message with card "jpki", through the package', async () => {
    expect(await authenticateWithCard('token-please-0000000000000000000000000000000', 'jpki')).toBe('token-for-jpki');
    expect(received.at(-1)!.authenticate).toEqual({ nonce: 'token-please-0000000000000000000000000000000', card: 'jpki' });
  });

  it.each([
    ['wrong-card-00000000000000000000000000000000', 'card_wrong_type', 'wrong_card_type'],
    ['pin-locked-00000000000000000000000000000000', 'card_pin_locked', 'CKR_PIN_LOCKED'],
    ['no-card-0000000000000000000000000000000000000', 'card_not_present', 'SCARD_E_NO_SMARTCARD'],
    ['cancelled-000000000000000000000000000000000', 'card_cancelled', 'CKR_FUNCTION_CANCELED'],
  ])('the bridge’s answer to %s is the page’s %s', async (nonce, code, reason) => {
    for (const card of ['hpki', 'jpki'] as const) expect(await rejection(authenticateWithCard(nonce, card))).toMatchObject({ code, reason });
  });
});

describe('what the page says', () => {
  it('a wrong card names the card that is in the reader; a missing one the card asked for', () => {
    expect(cardMessageCode('card_wrong_type', 'jpki')).toBe('card_wrong_type_hpki');
    expect(cardMessageCode('card_wrong_type', 'hpki')).toBe('card_wrong_type_jpki');
    expect(cardMessageCode('card_not_present', 'jpki')).toBe('jpki_card_not_present');
    expect(cardMessageCode('card_not_present', 'hpki')).toBe('card_not_present');
    expect(cardMessageCode('card_pin_locked', 'jpki')).toBe('card_pin_locked');
  });

  it('every code the page can show has a sentence in both languages, and a wrong card names the button to press', () => {
    const codes = ['card_wrong_type_hpki', 'card_wrong_type_jpki', 'jpki_card_not_present', 'card_pin_locked', 'card_cancelled', 'card_error', 'jpki_proof_unbound'];
    for (const code of codes) {
      expect((ja.errors as Record<string, string>)[code], code).toBeTruthy();
      expect((en.errors as Record<string, string>)[code], code).toBeTruthy();
    }
    expect(ja.errors.card_wrong_type_hpki).toContain(`「${ja.login.hpkiCard.button}」`);
    expect(en.errors.card_wrong_type_hpki).toContain(`"${en.login.hpkiCard.button}"`);
  });

  it('unknown extension strings stay card_error', () => {
    expect(cardErrorCode('something_new')).toBe('card_error');
  });
});

describe('the demo’s software HPKI card', () => {
  it('answers a request for the My Number Card as the bridge would: wrong_card_type', async () => {
    const page = new FakeWebEidWindow();
    page.run(
      softwareCardScript({ certificateDer: 'AAAA', privateKeyPkcs8: 'AAAA', keyAlgorithm: 'RSA', format: 'jws', origin: 'http://localhost:3000' }),
    );
    expect(await page.request({ authenticate: { nonce: 'n'.repeat(44), card: 'jpki' } })).toMatchObject({ error: 'wrong_card_type' });
  });
});
