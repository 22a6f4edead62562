/**
 * The whole browser path in Node: proveWithMyNumberCard → connectCardReader → the real web-eid
 * 0.0.8 package → window.postMessage → the software My Number Card script. The package logs every
 * message it sends; this checks that the VERIFY APDU (the PIN) reaches no console method, neither
 * the ones behind the bridge's filter nor a wrapper installed after it (developer tools, error
 * reporters), and that nothing of the package's reaches the real console.
 */
import { X509Certificate, createHash, verify as nodeVerify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { proveWithMyNumberCard } from '../../../app/components/card/my-number-card-login.ts';
import { connectCardReader, isCardExtensionAvailable } from '../../../app/components/card/web-eid-bridge.ts';
import { softwareMyNumberCardScript } from '../../../src/demo/software-my-number-card.ts';
import { createJpkiTestPki, jpkiCardMaterial } from '../../../src/pki/test-pki/index.ts';
import { FakeWebEidWindow } from './fake-web-eid-window.ts';

const PIN = '6142';
const LEVELS = ['log', 'info', 'debug', 'warn', 'error'] as const;
/** `00 20 00 80 04 '6' '1' '4' '2'` as the package would put it in its SEND line. */
const VERIFY_APDU_BASE64 = Buffer.from([0x00, 0x20, 0x00, 0x80, 0x04, ...Buffer.from(PIN, 'ascii')]).toString('base64');

type Recorded = { level: string; text: string };
const behindFilter: Recorded[] = [];
const afterFilter: Recorded[] = [];
const originals = Object.fromEntries(LEVELS.map((level) => [level, console[level]]));

function describeArgs(args: unknown[]): string {
  return args.map((a) => (typeof a === 'string' ? a : (() => { try { return JSON.stringify(a); } catch { return String(a); } })())).join(' ');
}

let window: FakeWebEidWindow;
let certificateDer: Uint8Array;

beforeAll(async () => {
  const material = await jpkiCardMaterial((await createJpkiTestPki()).cards.secondHolder);
  certificateDer = material.certificateDer;
  // The package's WebSocket fallback must not reach the network from a unit test.
  vi.stubGlobal('WebSocket', class {
    constructor() {
      throw new Error('no WebSocket in unit tests');
    }
  });
  window = new FakeWebEidWindow();
  vi.stubGlobal('window', window);
  window.run(softwareMyNumberCardScript({ ...material, pin: PIN }));

  // What reaches "the console" once the bridge's filter has had its say.
  for (const level of LEVELS) console[level] = (...args: unknown[]) => void behindFilter.push({ level, text: describeArgs(args) });
  expect(await isCardExtensionAvailable(2)).toBe(true);
  // A wrapper installed after the filter sees every call first, as developer tools would.
  for (const level of LEVELS) {
    const inner = console[level];
    console[level] = (...args: unknown[]) => {
      afterFilter.push({ level, text: describeArgs(args) });
      inner(...args);
    };
  }
});

afterAll(() => {
  for (const level of LEVELS) console[level] = originals[level]!;
  vi.unstubAllGlobals();
});

describe('My Number Card through the web-eid package', () => {
  it('proves with the card, and no console method ever sees the PIN or a package line', async () => {
    const challenge = 'nonce from the server';
    const challengeDigest = new Uint8Array(createHash('sha256').update(challenge).digest());
    const proof = await proveWithMyNumberCard({ challengeDigest, pin: PIN });

    expect(Buffer.from(proof.certificateDer).equals(Buffer.from(certificateDer))).toBe(true);
    expect(nodeVerify('sha256', Buffer.from(challenge), new X509Certificate(proof.certificateDer).publicKey, proof.signature)).toBe(true);

    // The PIN did travel to the extension (so the check below is not vacuous)…
    expect(window.posted.some((m) => JSON.stringify(m).includes(VERIFY_APDU_BASE64))).toBe(true);
    // …and reached no console method, inner or outer.
    for (const line of [...afterFilter, ...behindFilter]) {
      expect(line.text).not.toContain(VERIFY_APDU_BASE64);
      expect(line.text).not.toMatch(/^SEND: /);
      expect(line.text).not.toContain('SCardTransmit');
    }
    // The package's RECV lines (card answers, never the PIN) are dropped by the filter.
    expect(behindFilter).toEqual([]);
  });

  it('reports a wrong PIN through the package with the tries left', async () => {
    await expect(proveWithMyNumberCard({ challengeDigest: new Uint8Array(32), pin: '0000' })).rejects.toMatchObject({ code: 'jpki_pin_wrong', triesLeft: 2 });
    for (const line of afterFilter) expect(line.text).not.toContain(Buffer.from([0, 0x20, 0, 0x80, 4, 0x30, 0x30, 0x30, 0x30]).toString('base64'));
    expect(behindFilter).toEqual([]);
  });

  it('refuses to transmit after disconnect', async () => {
    const reader = await connectCardReader();
    expect(reader.name).toBe('Software My Number Card');
    await reader.disconnect();
    await reader.disconnect();
    await expect(reader.transmit(Uint8Array.of(0, 0xa4, 4, 0x0c))).rejects.toMatchObject({ code: 'card_error', reason: 'disconnected' });
  });
});
