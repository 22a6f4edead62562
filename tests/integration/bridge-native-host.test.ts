/**
 * The card bridge's native messaging host against the real parts: the host process spawned as the
 * browser would, native messaging over its stdio, PC/SC through pcscd with the vsmartcard-vpcd
 * virtual readers, and the virtual HPKI card / My Number Card (bridge/virtual-card/) answering
 * APDUs. Tokens are checked with the server's own verifier. One file on purpose: the virtual
 * readers are shared, so nothing else may use them at the same time.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, type BridgeResponse } from '../../bridge/protocol.ts';
import { NativeMessagingHost, readersOf, requirePcscd, waitForReaders, type ReaderStatus } from '../support/card-bridge-host.ts';
import { VirtualCard, type VirtualCardSpec } from '../../bridge/virtual-card/vpcd-card.ts';
import { materialOf } from '../../bridge/virtual-card/material.ts';
import { verifyCardToken } from '../../src/auth/web-eid-token.ts';
import { createHpkiTestPki, createJpkiTestPki } from '../../src/pki/test-pki/index.ts';
import type { CardMaterial } from '../../bridge/virtual-card/vpcd-card.ts';

const ORIGIN = 'https://sso.example.jp';
const PIN = '1234';
const nonce = () => crypto.randomBytes(32).toString('base64');

/** The host as the browser runs it (TypeScript through tsx), with its allow-list file. */
class HostProcess extends NativeMessagingHost {
  constructor(configFile: string, env: Record<string, string> = {}) {
    super(process.execPath, ['--import', 'tsx', 'bridge/native-host/main.ts'], { env: { ...process.env, CARD_BRIDGE_CONFIG: configFile, ...env } });
  }
}

const errorOf = (r: BridgeResponse) => {
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r).slice(0, 200)}`);
  return r.error;
};

let tmp: string;
let host: HostProcess;
let hpki: CardMaterial;
let jpki: CardMaterial;
const cards: VirtualCard[] = [];

const readersNow = () => readersOf(host);
const waitFor = (predicate: (readers: ReaderStatus) => boolean) => waitForReaders(host, predicate);
async function insert(spec: VirtualCardSpec, options: ConstructorParameters<typeof VirtualCard>[1] = {}) {
  const card = new VirtualCard(spec, options);
  cards.push(card);
  await card.insert();
  const reader = options.reader ?? 0;
  await waitFor((rs) => rs[reader]?.cardPresent === true);
  return card;
}

beforeAll(async () => {
  await requirePcscd();
  const [hp, jp] = await Promise.all([createHpkiTestPki(), createJpkiTestPki()]);
  hpki = await materialOf(hp.practitioners.valid);
  jpki = await materialOf(jp.cards.valid);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'card-bridge-'));
  fs.writeFileSync(path.join(tmp, 'dev.json'), JSON.stringify({ allowedOrigins: [ORIGIN, 'http://localhost:3000'], mode: 'dev' }));
  fs.writeFileSync(path.join(tmp, 'slow.json'), JSON.stringify({ allowedOrigins: [ORIGIN], mode: 'production', timeoutMs: 1500 }));
  fs.writeFileSync(path.join(tmp, 'production.json'), JSON.stringify({ allowedOrigins: [ORIGIN, 'http://localhost:3000'], mode: 'production' }));
  host = new HostProcess(path.join(tmp, 'dev.json'));
  await waitFor((rs) => rs.length === 2 && rs.every((r) => !r.cardPresent));
}, 120_000);

afterEach(async () => {
  await Promise.all(cards.splice(0).map((c) => c.remove()));
  await waitFor((rs) => rs.every((r) => !r.cardPresent));
});

afterAll(() => {
  host?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('card bridge native host through pcscd + vpcd + the virtual card', () => {
  it('version', async () => {
    expect(await host.request({ command: 'version' })).toMatchObject({ ok: true, version: '1.0.0' });
  });

  it('status: two empty virtual readers', async () => {
    expect(await readersNow()).toEqual([
      { name: 'Virtual PCD 00 00', cardPresent: false, card: null },
      { name: 'Virtual PCD 00 01', cardPresent: false, card: null },
    ]);
  });

  it('status: an HPKI card in one reader, a My Number Card in the other, an unknown card', async () => {
    await insert({ card: 'hpki', pin: PIN, ...hpki }, { reader: 0 });
    await insert({ card: 'jpki', pin: PIN, ...jpki }, { reader: 1 });
    expect(await readersNow()).toEqual([
      { name: 'Virtual PCD 00 00', cardPresent: true, card: 'hpki' },
      { name: 'Virtual PCD 00 01', cardPresent: true, card: 'jpki' },
    ]);
    await cards.pop()!.remove();
    await waitFor((rs) => !rs[1]!.cardPresent);
    await insert({ card: 'unknown' }, { reader: 1 });
    expect((await readersNow())[1]).toEqual({ name: 'Virtual PCD 00 01', cardPresent: true, card: 'unknown' });
  });

  for (const card of ['hpki', 'jpki'] as const) {
    for (const format of ['web-eid:1.0', 'legacy-jws'] as const) {
      it(`authenticate with the ${card} card, ${format}: the server's verifyCardToken accepts the token`, async () => {
        const material = card === 'hpki' ? hpki : jpki;
        await insert({ card, pin: PIN, ...material }, { reader: card === 'hpki' ? 0 : 1 });
        const challenge = nonce();
        const r = await host.request({ command: 'authenticate', card, format, origin: ORIGIN, challengeNonce: challenge, pin: PIN });
        if (!r.ok || !('token' in r)) throw new Error(JSON.stringify(r));
        if (format === 'web-eid:1.0') expect(r.token).toMatchObject({ format: 'web-eid:1.0', algorithm: 'RS256' });
        else expect(typeof r.token).toBe('string');
        const verified = await verifyCardToken(r.token, { origin: ORIGIN, nonce: challenge });
        expect(Buffer.from(verified.certificateDer).equals(Buffer.from(material.certificateDer))).toBe(true);
        // Bound to this origin and this nonce.
        await expect(verifyCardToken(r.token, { origin: 'https://evil.example', nonce: challenge })).rejects.toMatchObject({ code: expect.stringMatching(/card_signature_invalid|card_origin_mismatch/) });
        await expect(verifyCardToken(r.token, { origin: ORIGIN, nonce: nonce() })).rejects.toMatchObject({ code: expect.stringMatching(/card_signature_invalid|card_challenge_invalid/) });
      });
    }
  }

  it('nonces of 43 and 128 characters are accepted; 42 and 129 → bad_request', async () => {
    await insert({ card: 'jpki', pin: PIN, ...jpki });
    for (const length of [43, 128]) {
      const challenge = 'n'.repeat(length);
      const r = await host.request({ command: 'authenticate', card: 'jpki', format: 'web-eid:1.0', origin: ORIGIN, challengeNonce: challenge, pin: PIN });
      expect(r.ok).toBe(true);
      if (r.ok && 'token' in r) await verifyCardToken(r.token, { origin: ORIGIN, nonce: challenge });
    }
    for (const length of [42, 129]) {
      const r = await host.request({ command: 'authenticate', card: 'jpki', format: 'web-eid:1.0', origin: ORIGIN, challengeNonce: 'n'.repeat(length), pin: PIN });
      expect(errorOf(r)).toMatchObject({ code: 'bad_request', message: expect.stringContaining('challengeNonce') });
    }
  });

  it('wrong PIN → pin_wrong with the tries left (HPKI 15 per MEDIS, JPKI 3); the right PIN resets the counter', async () => {
    const hp = await insert({ card: 'hpki', pin: PIN, ...hpki }, { reader: 0 });
    const jp = await insert({ card: 'jpki', pin: PIN, ...jpki }, { reader: 1 });
    const auth = (card: string, pin: string) => host.request({ command: 'authenticate', card, format: 'web-eid:1.0', origin: ORIGIN, challengeNonce: nonce(), pin });
    expect(errorOf(await auth('hpki', '9999'))).toMatchObject({ code: 'pin_wrong', triesLeft: 14 });
    expect(await host.request({ command: 'pin-status', card: 'hpki' })).toMatchObject({ ok: true, card: 'hpki', triesLeft: 14 });
    expect(errorOf(await auth('jpki', '0000'))).toMatchObject({ code: 'pin_wrong', triesLeft: 2 });
    expect(await host.request({ command: 'pin-status', card: 'jpki' })).toMatchObject({ ok: true, card: 'jpki', triesLeft: 2 });
    expect(hp.triesLeft).toBe(14);
    expect(jp.triesLeft).toBe(2);
    expect((await auth('jpki', PIN)).ok).toBe(true);
    expect((await auth('hpki', PIN)).ok).toBe(true);
    expect(await host.request({ command: 'pin-status', card: 'jpki' })).toMatchObject({ triesLeft: 3 });
  });

  it('three wrong PINs lock the My Number Card → pin_locked, and then even the right PIN is refused', async () => {
    await insert({ card: 'jpki', pin: PIN, ...jpki });
    const auth = (pin: string) => host.request({ command: 'authenticate', card: 'jpki', format: 'legacy-jws', origin: ORIGIN, challengeNonce: nonce(), pin });
    expect(errorOf(await auth('1111'))).toMatchObject({ code: 'pin_wrong', triesLeft: 2 });
    expect(errorOf(await auth('1111'))).toMatchObject({ code: 'pin_wrong', triesLeft: 1 });
    expect(errorOf(await auth('1111'))).toMatchObject({ code: 'pin_locked', triesLeft: 0 });
    expect(errorOf(await auth(PIN))).toMatchObject({ code: 'pin_locked' });
    expect(await host.request({ command: 'pin-status', card: 'jpki' })).toMatchObject({ ok: true, triesLeft: 0 });
  });

  it('an HPKI card on its last try locks (6983) → pin_locked', async () => {
    await insert({ card: 'hpki', pin: PIN, triesLeft: 1, ...hpki });
    const auth = (pin: string) => host.request({ command: 'authenticate', card: 'hpki', format: 'web-eid:1.0', origin: ORIGIN, challengeNonce: nonce(), pin });
    expect(errorOf(await auth('5555'))).toMatchObject({ code: 'pin_locked' });
    expect(errorOf(await auth(PIN))).toMatchObject({ code: 'pin_locked' });
  });

  it('the card pulled out during the signature → card_removed; the host answers the next message', async () => {
    await insert({ card: 'jpki', pin: PIN, ...jpki }, { removeOn: (apdu) => apdu[0] === 0x80 && apdu[1] === 0x2a });
    const r = await host.request({ command: 'authenticate', card: 'jpki', format: 'web-eid:1.0', origin: ORIGIN, challengeNonce: nonce(), pin: PIN });
    expect(errorOf(r).code).toBe('card_removed');
    await waitFor((rs) => !rs[0]!.cardPresent);
    await insert({ card: 'hpki', pin: PIN, ...hpki }, { reader: 0, removeOn: (apdu) => apdu[1] === 0x2a });
    const r2 = await host.request({ command: 'authenticate', card: 'hpki', format: 'legacy-jws', origin: ORIGIN, challengeNonce: nonce(), pin: PIN });
    expect(errorOf(r2).code).toBe('card_removed');
    expect(await host.request({ command: 'version' })).toMatchObject({ ok: true });
  }, 60_000); // vpcd sometimes ignores the first card inserted after a pull-out: the virtual card retries

  it('no card → no_card; the wrong card → wrong_card_type; an unknown card → unknown_card', async () => {
    expect(errorOf(await host.request({ command: 'pin-status', card: 'hpki' })).code).toBe('no_card');
    await insert({ card: 'jpki', pin: PIN, ...jpki });
    const wrong = errorOf(await host.request({ command: 'authenticate', card: 'hpki', format: 'web-eid:1.0', origin: ORIGIN, challengeNonce: nonce(), pin: PIN }));
    expect(wrong).toMatchObject({ code: 'wrong_card_type', message: expect.stringContaining('My Number Card') });
    await cards.pop()!.remove();
    await waitFor((rs) => !rs[0]!.cardPresent);
    await insert({ card: 'unknown' });
    expect(errorOf(await host.request({ command: 'pin-status', card: 'jpki' })).code).toBe('unknown_card');
  });

  it('a card that stops answering → timeout after the configured timeoutMs', async () => {
    await insert({ card: 'jpki', pin: PIN, ...jpki }, { stallOn: (apdu) => apdu[0] === 0x80 && apdu[1] === 0x2a });
    const slow = new HostProcess(path.join(tmp, 'slow.json'));
    try {
      const started = Date.now();
      const r = await slow.request({ command: 'authenticate', card: 'jpki', format: 'web-eid:1.0', origin: ORIGIN, challengeNonce: nonce(), pin: PIN });
      expect(errorOf(r)).toMatchObject({ code: 'timeout' });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await slow.request({ command: 'version' })).toMatchObject({ ok: true });
    } finally {
      slow.stop();
    }
  }, 60_000);

  it('no PC/SC service reachable → no_reader for status and authenticate; version still answers', async () => {
    // pcsc-lite's client library finds pcscd through PCSCLITE_CSOCK_NAME: point it nowhere.
    const lonely = new HostProcess(path.join(tmp, 'dev.json'), { PCSCLITE_CSOCK_NAME: path.join(tmp, 'no-pcscd.comm') });
    try {
      expect(await lonely.request({ command: 'version' })).toMatchObject({ ok: true });
      expect(errorOf(await lonely.request({ command: 'status' }))).toMatchObject({ code: 'no_reader', message: expect.stringMatching(/pcscd|PC\/SC/) });
      const r = await lonely.request({ command: 'authenticate', card: 'hpki', format: 'web-eid:1.0', origin: ORIGIN, challengeNonce: nonce(), pin: PIN });
      expect(errorOf(r).code).toBe('no_reader');
    } finally {
      lonely.stop();
    }
  });

  it('origins: not on the allow-list → origin_not_allowed; non-https → bad_request; loopback http only in demo/dev mode', async () => {
    await insert({ card: 'jpki', pin: PIN, ...jpki });
    const auth = (h: HostProcess, origin: string) => h.request({ command: 'authenticate', card: 'jpki', format: 'web-eid:1.0', origin, challengeNonce: nonce(), pin: PIN });
    expect(errorOf(await auth(host, 'https://other.example.jp')).code).toBe('origin_not_allowed');
    expect(errorOf(await auth(host, 'http://sso.example.jp')).code).toBe('bad_request');
    expect(errorOf(await auth(host, 'https://sso.example.jp/path')).code).toBe('bad_request');
    expect((await auth(host, 'http://localhost:3000')).ok).toBe(true);
    const production = new HostProcess(path.join(tmp, 'production.json'));
    try {
      expect(errorOf(await auth(production, 'http://localhost:3000'))).toMatchObject({ code: 'origin_not_allowed', message: expect.stringContaining('demo or dev') });
      expect((await auth(production, ORIGIN)).ok).toBe(true);
    } finally {
      production.stop();
    }
  });

  it('malformed, oversized and unknown messages → bad_request / message_too_large', async () => {
    host.sendText('{not json');
    expect(errorOf(await host.next()).code).toBe('bad_request');
    host.sendText(Buffer.from([0xff, 0xfe, 0x00]));
    expect(errorOf(await host.next()).code).toBe('bad_request');
    expect(errorOf(await host.request({ command: 'sign', hash: 'x' })).code).toBe('bad_request');
    expect(errorOf(await host.request({ command: 'version', extra: 1 })).code).toBe('bad_request');
    expect(errorOf(await host.request({ command: 'authenticate', card: 'hpki' })).code).toBe('bad_request');
    host.sendText('[]');
    expect(errorOf(await host.next()).code).toBe('bad_request');
    // One byte over the limit: refused without reading it as JSON, and the stream stays in step.
    host.sendText(Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20));
    expect(errorOf(await host.next()).code).toBe('message_too_large');
    // A length header announcing 4 GB, its body never sent in full: the rest is skipped, not buffered.
    const huge = Buffer.alloc(4);
    huge.writeUInt32LE(0xffffffff);
    expect(await host.request({ command: 'version', id: 'before' })).toMatchObject({ ok: true });
    const other = new HostProcess(path.join(tmp, 'dev.json'));
    try {
      other.writeRaw(Buffer.concat([huge, Buffer.alloc(1000)]));
      expect(errorOf(await other.next()).code).toBe('message_too_large');
      expect(other.exited).toBe(false);
    } finally {
      other.stop();
    }
  });

  it('a fuzz of 1,000 messages: one answer each, the host still alive and answering', async () => {
    let seed = 0x2545f491;
    const rand = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const values = [null, true, 0, -1, 1e308, '', 'x'.repeat(70), 'hpki', 'jpki', 'unknown', [], {}, { id: 1 }, ORIGIN, 'javascript:alert(1)', '12345678901234567', 'a'.repeat(44), '\u0000', '__proto__'];
    const keys = ['id', 'command', 'origin', 'challengeNonce', 'card', 'format', 'pin', '__proto__', 'constructor', 'extra'];
    const commands = ['version', 'status', 'pin-status', 'authenticate', 'sign', 'SCardTransmit', '', 'VERSION'];
    const bodies: Buffer[] = [];
    for (let i = 0; i < 1000; i++) {
      const kind = rand();
      if (kind < 0.25) {
        bodies.push(crypto.randomBytes(Math.floor(rand() * 300)));
      } else if (kind < 0.5) {
        const text = JSON.stringify({ id: `f${i}`, command: pick(commands), origin: ORIGIN, challengeNonce: 'b'.repeat(44), card: pick(['hpki', 'jpki']), format: 'web-eid:1.0', pin: '1234' });
        const cut = Math.floor(rand() * text.length);
        bodies.push(Buffer.from(rand() < 0.5 ? text.slice(0, cut) : text.slice(0, cut) + pick(['"', '{', '}', ']', '\\', ',', ':']) + text.slice(cut + 1)));
      } else {
        const o: Record<string, unknown> = {};
        const n = Math.floor(rand() * 8);
        for (let k = 0; k < n; k++) o[pick(keys)] = rand() < 0.3 ? pick(commands) : pick(values);
        if (rand() < 0.5) o.command = pick(commands);
        bodies.push(Buffer.from(JSON.stringify(o)));
      }
    }
    for (const body of bodies) host.sendText(body);
    const answers: BridgeResponse[] = [];
    for (let i = 0; i < bodies.length; i++) answers.push(await host.next());
    expect(answers).toHaveLength(1000);
    const codes = new Set(answers.map((a) => (a.ok ? 'ok' : a.error.code)));
    expect([...codes].every((c) => ['ok', 'bad_request', 'no_card', 'origin_not_allowed'].includes(c))).toBe(true);
    expect(codes.has('bad_request')).toBe(true);
    expect(host.exited).toBe(false);
    expect(await host.request({ command: 'version' })).toMatchObject({ ok: true });
    expect(host.stderr).not.toMatch(/uncaught|unhandled/);
  }, 60_000);
});
