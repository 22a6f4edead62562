/**
 * Times card logins through the bridge: `node --import tsx bridge/native-host/measure-login.ts
 * [--card hpki|jpki] [--format web-eid:1.0|legacy-jws] [--n 20] [--reader 0|1]`.
 * Puts the virtual card (bridge/virtual-card/, keys from `.data/bridge/`) into vpcd's reader,
 * spawns the real native host and sends N `authenticate` requests over native messaging; each
 * is timed from writing the request to reading the token (host → pcscd → vpcd → virtual card:
 * SELECTs, certificate read, VERIFY, signature). Prints mean / p50 / p95 / min / max in ms.
 * Needs pcscd with vsmartcard-vpcd running, and nothing else in that virtual reader.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadOrCreateMaterial } from '../virtual-card/material.ts';
import { VirtualCard } from '../virtual-card/vpcd-card.ts';

const { values } = parseArgs({
  options: {
    card: { type: 'string', default: 'hpki' },
    format: { type: 'string', default: 'web-eid:1.0' },
    n: { type: 'string', default: '20' },
    reader: { type: 'string', default: '1' },
  },
});
const card = values.card === 'jpki' ? 'jpki' : 'hpki';
const n = Math.max(1, Number(values.n));
const reader = values.reader === '0' ? 0 : 1;
const origin = 'https://sso.example.jp';
const pin = '1234';

const material = await loadOrCreateMaterial(card);
const virtual = new VirtualCard({ card, pin, ...material }, { reader });
await virtual.insert();

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'card-bridge-measure-'));
const configFile = path.join(dir, 'config.json');
fs.writeFileSync(configFile, JSON.stringify({ allowedOrigins: [origin], mode: 'production' }));
const hostMain = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.ts');
const child = spawn(process.execPath, ['--import', 'tsx', hostMain], { env: { ...process.env, CARD_BRIDGE_CONFIG: configFile }, stdio: ['pipe', 'pipe', 'inherit'] });

let buffer = Buffer.alloc(0);
const waiting: ((m: { id: string; ok: boolean; readers?: { cardPresent: boolean }[]; error?: unknown }) => void)[] = [];
child.stdout.on('data', (chunk: Buffer) => {
  buffer = Buffer.concat([buffer, chunk]);
  while (buffer.length >= 4) {
    const len = buffer.readUInt32LE(0);
    if (buffer.length < 4 + len) break;
    const message = JSON.parse(buffer.subarray(4, 4 + len).toString('utf8'));
    buffer = buffer.subarray(4 + len);
    waiting.shift()?.(message);
  }
});
function request(message: Record<string, unknown>) {
  const body = Buffer.from(JSON.stringify(message));
  const header = Buffer.alloc(4);
  header.writeUInt32LE(body.length);
  return new Promise<Parameters<(typeof waiting)[number]>[0]>((resolve) => {
    waiting.push(resolve);
    child.stdin.write(Buffer.concat([header, body]));
  });
}

// Wait for pcscd to see the card (it polls vpcd).
for (let i = 0; ; i++) {
  const status = await request({ id: `s${i}`, command: 'status' });
  if (status.readers?.[reader]?.cardPresent) break;
  if (i > 100) throw new Error(`pcscd did not see the virtual card: ${JSON.stringify(status)}`);
  await new Promise((r) => setTimeout(r, 100));
}

const times: number[] = [];
for (let i = 0; i < n + 1; i++) {
  const started = process.hrtime.bigint();
  const answer = await request({ id: `a${i}`, command: 'authenticate', card, format: values.format, origin, challengeNonce: crypto.randomBytes(32).toString('base64'), pin });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (!answer.ok) throw new Error(`authenticate failed: ${JSON.stringify(answer.error)}`);
  if (i > 0) times.push(ms); // the first one also loads the PC/SC binding: reported apart
  else console.log(`first login (loads the PC/SC binding): ${ms.toFixed(1)} ms`);
}
times.sort((a, b) => a - b);
const at = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]!;
const mean = times.reduce((a, b) => a + b, 0) / times.length;
console.log(
  `${card} card, ${values.format}, ${n} logins through native host → pcscd → vpcd → virtual card: ` +
    `mean ${mean.toFixed(1)} ms, p50 ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms, max ${times[times.length - 1]!.toFixed(1)} ms`,
);
child.stdin.end();
await virtual.remove();
fs.rmSync(dir, { recursive: true, force: true });
process.exit(0);
