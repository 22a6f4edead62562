/**
 * The native host as a terminal without Node runs it: the single executable (Node SEA,
 * scripts/bridge/single-executable.ts — the same build as `npm run bridge:build`) built into a
 * temporary "terminal" directory with its PC/SC addon and `card-bridge.config.json` beside it, then
 * started with an environment whose PATH is an empty directory (this machine has its own
 * /usr/bin/node, which must play no part) and no CARD_BRIDGE_CONFIG. Native messaging against the
 * real pcscd with the vsmartcard-vpcd readers and the virtual HPKI card; the token is checked by the
 * server's verifier. Uses the virtual readers: must not run alongside bridge-native-host.test.ts.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NativeMessagingHost, readersOf, requirePcscd, waitForReaders, type ReaderStatus } from '../support/card-bridge-host.ts';
import { VirtualCard } from '../../bridge/virtual-card/vpcd-card.ts';
import { materialOf } from '../../bridge/virtual-card/material.ts';
import type { CardMaterial } from '../../bridge/virtual-card/vpcd-card.ts';
import { verifyCardToken } from '../../src/auth/web-eid-token.ts';
import { createHpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { buildSingleExecutable, type SingleExecutable } from '../../scripts/bridge/single-executable.ts';
import { PCSC_ADDON_FILE } from '../../scripts/bridge/host-artifacts.ts';

const ORIGIN = 'https://sso.example.jp';
const PIN = '1234';
const nonce = () => crypto.randomBytes(32).toString('base64');

/** A host executable spoken to over native messaging, in the given environment only. */
class NativeHost extends NativeMessagingHost {
  constructor(executable: string, env: Record<string, string>) {
    super(executable, [], { env: env as NodeJS.ProcessEnv, cwd: os.tmpdir() });
  }
}

let tmp: string;
let built: SingleExecutable;
/** The "terminal": the executable, the addon and the config, nothing else. */
let terminal: string;
let executable: string;
/** PATH on the terminal: an empty directory, so no `node` (nor anything else) can be found. */
let emptyPath: string;
let host: NativeHost;
let hpki: CardMaterial;
const cards: VirtualCard[] = [];
const hosts: NativeHost[] = [];

const start = (exe = executable) => {
  const h = new NativeHost(exe, { PATH: emptyPath });
  hosts.push(h);
  return h;
};
const readers = (h: NativeHost = host) => readersOf(h);
const waitFor = (predicate: (rs: ReaderStatus) => boolean) => waitForReaders(host, predicate);

beforeAll(async () => {
  await requirePcscd();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'card-bridge-sea-'));
  terminal = path.join(tmp, 'terminal');
  emptyPath = path.join(tmp, 'empty-bin');
  fs.mkdirSync(emptyPath);
  const [pki] = await Promise.all([
    createHpkiTestPki(),
    buildSingleExecutable({ outDir: terminal, workDir: path.join(tmp, 'build') }).then((b) => {
      built = b;
      // Reported by the build; kept in the test output so CI shows what the build costs.
      process.stdout.write(`single executable built in ${b.timings.total} s (bundle ${b.timings.bundle}, blob ${b.timings.blob}, inject ${b.timings.inject})\n`);
    }),
  ]);
  hpki = await materialOf(pki.practitioners.valid);
  executable = built.executable;
  // The default config location of the installed host: beside the executable (no CARD_BRIDGE_CONFIG).
  fs.writeFileSync(path.join(terminal, 'card-bridge.config.json'), JSON.stringify({ allowedOrigins: [ORIGIN], mode: 'production' }));
  host = start();
}, 180_000);

afterEach(async () => {
  await Promise.all(cards.splice(0).map((c) => c.remove()));
});

afterAll(async () => {
  for (const h of hosts) h.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the single-executable native host, run with no Node on PATH', () => {
  it('is the Node binary itself with the host inside, and the terminal directory holds only it, the addon and the config', () => {
    expect(fs.readdirSync(terminal).sort()).toEqual([PCSC_ADDON_FILE, 'card-bridge.config.json', path.basename(executable)].sort());
    expect(built.addon).toBe(path.join(terminal, PCSC_ADDON_FILE));
    if (process.platform === 'linux') {
      const magic = Buffer.alloc(4);
      const fd = fs.openSync(executable, 'r');
      fs.readSync(fd, magic, 0, 4, 0);
      fs.closeSync(fd);
      expect(magic).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46])); // ELF, not a script for some interpreter
    }
    expect(fs.statSync(executable).mode & 0o111).not.toBe(0);
    expect(fs.readdirSync(emptyPath)).toEqual([]);
  });

  it('version; the running process is the executable, not a node found on PATH', async () => {
    expect(await host.request({ command: 'version' })).toMatchObject({ ok: true, version: '1.0.0' });
    if (process.platform === 'linux') expect(fs.readlinkSync(`/proc/${host.child.pid}/exe`)).toBe(fs.realpathSync(executable));
    expect(host.stderr).toBe(''); // it found its config beside itself
  });

  it('status through the real pcscd, with the PC/SC addon loaded from beside the executable', async () => {
    const rs = await waitFor((r) => r.length === 2 && r.every((x) => !x.cardPresent));
    expect(rs.map((r) => r.name)).toEqual(['Virtual PCD 00 00', 'Virtual PCD 00 01']);
    if (process.platform === 'linux') {
      const maps = fs.readFileSync(`/proc/${host.child.pid}/maps`, 'utf8');
      expect(maps).toContain(path.join(fs.realpathSync(terminal), PCSC_ADDON_FILE));
      expect(maps).not.toMatch(/node_modules/);
    }
  });

  it("authenticate with the virtual HPKI card: the server's verifyCardToken accepts the token", async () => {
    const card = new VirtualCard({ card: 'hpki', pin: PIN, ...hpki }, { reader: 0 });
    cards.push(card);
    await card.insert();
    await waitFor((rs) => rs[0]?.cardPresent === true);
    expect((await readers())[0]).toMatchObject({ cardPresent: true, card: 'hpki' });
    const challenge = nonce();
    const r = await host.request({ command: 'authenticate', card: 'hpki', format: 'web-eid:1.0', origin: ORIGIN, challengeNonce: challenge, pin: PIN });
    if (!r.ok || !('token' in r)) throw new Error(JSON.stringify(r));
    expect(r.token).toMatchObject({ format: 'web-eid:1.0', algorithm: 'RS256' });
    const verified = await verifyCardToken(r.token, { origin: ORIGIN, nonce: challenge });
    expect(Buffer.from(verified.certificateDer).equals(Buffer.from(hpki.certificateDer))).toBe(true);
    // The allow-list beside the executable is the one in force.
    const other = await host.request({ command: 'authenticate', card: 'hpki', format: 'web-eid:1.0', origin: 'https://other.example.jp', challengeNonce: nonce(), pin: PIN });
    expect(other).toMatchObject({ ok: false, error: { code: 'origin_not_allowed' } });
  }, 60_000);

  it('a terminal without the addon beside the executable: no_reader naming the file; version still answers', async () => {
    const bare = path.join(tmp, 'bare');
    fs.mkdirSync(bare);
    const copy = path.join(bare, path.basename(executable));
    try {
      fs.linkSync(executable, copy); // the same file under another directory (a hard link, not a 120 MB copy)
    } catch {
      fs.copyFileSync(executable, copy);
    }
    const lonely = start(copy);
    expect(await lonely.request({ command: 'version' })).toMatchObject({ ok: true });
    expect(await lonely.request({ command: 'status' })).toMatchObject({ ok: false, error: { code: 'no_reader', message: expect.stringContaining(PCSC_ADDON_FILE) } });
  });
});
