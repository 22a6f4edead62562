/**
 * Talking to the card bridge's native host as the browser does (4-byte little-endian length +
 * JSON on stdio), for the tests that run it against the real pcscd with the vsmartcard-vpcd readers.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import net from 'node:net';
import { expect } from 'vitest';
import { responseSchema, type BridgeResponse } from '../../bridge/protocol.ts';

/** pcscd with vpcd listening (its first virtual reader's port); the error says how to get there. */
export async function requirePcscd(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: 35963 });
    s.once('connect', () => {
      s.destroy();
      resolve();
    });
    s.once('error', () =>
      reject(
        new Error(
          'pcscd with the vsmartcard-vpcd virtual reader is not reachable on 127.0.0.1:35963. Install and start it: ' +
            '`apt-get install pcscd vsmartcard-vpcd libpcsclite-dev && pcscd` (CI does this in .ci/run), then `npm install` to build `smartcard`.',
        ),
      ),
    );
  });
}

/** One host process, spawned as the browser would, with a request/response helper over native messaging. */
export class NativeMessagingHost {
  readonly child: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private waiting: ((m: BridgeResponse) => void)[] = [];
  private received: BridgeResponse[] = [];
  stderr = '';
  exited = false;
  private seq = 0;

  constructor(command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }) {
    this.child = spawn(command, args, options);
    this.child.stderr.on('data', (d) => (this.stderr += d));
    this.child.on('exit', () => (this.exited = true));
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 4) {
        const n = this.buffer.readUInt32LE(0);
        if (this.buffer.length < 4 + n) break;
        const message = responseSchema.parse(JSON.parse(this.buffer.subarray(4, 4 + n).toString('utf8')));
        this.buffer = this.buffer.subarray(4 + n);
        const w = this.waiting.shift();
        if (w) w(message);
        else this.received.push(message);
      }
    });
  }

  next(): Promise<BridgeResponse> {
    const m = this.received.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  writeRaw(bytes: Buffer) {
    this.child.stdin.write(bytes);
  }

  sendText(text: string | Buffer) {
    const body = Buffer.from(text);
    const h = Buffer.alloc(4);
    h.writeUInt32LE(body.length);
    this.writeRaw(Buffer.concat([h, body]));
  }

  async request(message: Record<string, unknown>): Promise<BridgeResponse> {
    const id = message.id ?? `r${++this.seq}`;
    this.sendText(JSON.stringify({ id, ...message }));
    const response = await this.next();
    expect(response.id).toBe(id);
    return response;
  }

  stop() {
    this.child.stdin.end();
    this.child.kill();
  }
}

export type ReaderStatus = Extract<BridgeResponse, { readers: unknown }>['readers'];

export async function readersOf(host: NativeMessagingHost): Promise<ReaderStatus> {
  const r = await host.request({ command: 'status' });
  if (!r.ok || !('readers' in r)) throw new Error(JSON.stringify(r));
  return r.readers;
}

/** Waits until pcscd reports the readers as wanted (it polls vpcd a few times a second). */
export async function waitForReaders(host: NativeMessagingHost, predicate: (readers: ReaderStatus) => boolean): Promise<ReaderStatus> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const readers = await readersOf(host);
    if (predicate(readers)) return readers;
    if (Date.now() > deadline) throw new Error(`readers did not reach the wanted state: ${JSON.stringify(readers)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
