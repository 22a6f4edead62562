/**
 * TEST AND DEMO STAND-IN. A virtual card in the virtual reader of Debian's `vsmartcard-vpcd`:
 * a TCP client of pcscd's vpcd driver (127.0.0.1:35963 = reader "Virtual PCD 00 00", 35964 =
 * "… 00 01"). Framing: 2-byte big-endian length + payload; a 1-byte payload is a control byte
 * (0x00 power off, 0x01 power on, 0x02 reset, 0x04 "send the ATR"), anything longer a command
 * APDU answered with the response APDU (research/card-bridge-probe.md).
 */
import net from 'node:net';
import { createMyNumberCardEmulator, SOFTWARE_MY_NUMBER_CARD_ATR } from '../../src/demo/software-my-number-card.ts';
import { createHpkiCardEmulator, createUnknownCard, type ApduCard } from './hpki-card-emulator.ts';

export const VPCD_BASE_PORT = 35963;
/** A T=1 ATR without historical bytes (vpcd's own default shape). UNVERIFIED for real HPKI cards. */
export const GENERIC_T1_ATR = Uint8Array.of(0x3b, 0x80, 0x80, 0x01, 0x01);

export interface CardMaterial {
  certificateDer: Uint8Array;
  privateKeyPkcs8: Uint8Array;
}

export type VirtualCardSpec =
  | ({ card: 'hpki'; pin: string; triesLeft?: number; maxTries?: number } & CardMaterial)
  | ({ card: 'jpki'; pin: string; triesLeft?: number } & CardMaterial)
  | { card: 'unknown' };

export interface VirtualCardOptions {
  reader?: 0 | 1;
  host?: string;
  /** Called for every command APDU; return true to pull the card instead of answering. */
  removeOn?: (apdu: Uint8Array) => boolean;
  /** Called for every command APDU; return true to never answer it (a hung card or reader). */
  stallOn?: (apdu: Uint8Array) => boolean;
  log?: (line: string) => void;
}

/** A card in the virtual reader: synchronous APDU core, JPKI via the demo's emulator. */
function coreFor(spec: VirtualCardSpec): { card: ApduCard; atr: Uint8Array } {
  if (spec.card === 'hpki') return { card: createHpkiCardEmulator(spec), atr: GENERIC_T1_ATR };
  if (spec.card === 'unknown') return { card: createUnknownCard(), atr: GENERIC_T1_ATR };
  const jpki = createMyNumberCardEmulator({ certificateDer: spec.certificateDer, privateKeyPkcs8: spec.privateKeyPkcs8, pin: spec.pin, triesLeft: spec.triesLeft });
  return {
    atr: SOFTWARE_MY_NUMBER_CARD_ATR,
    card: {
      // The demo emulator is async in shape only; bridge it through a pending-answer queue below.
      transmit: () => {
        throw new Error('async');
      },
      reset: () => jpki.reset(),
      get triesLeft() {
        return jpki.triesLeft;
      },
      asyncTransmit: (apdu: Uint8Array) => jpki.transmit(apdu),
    } as ApduCard & { asyncTransmit(apdu: Uint8Array): Promise<Uint8Array> },
  };
}

/**
 * When each vpcd port last lost its card. pcscd notices a removal only at its next presence poll
 * (≈ 400 ms); a card connecting before that is taken for the old one and never powered on
 * (vsmartcard-vpcd 3.3 + pcscd 1.9.9), so an insertion waits until the removal has been seen.
 */
const lastRemoval = new Map<number, number>();
const REINSERT_GAP_MS = 1500;

export class VirtualCard {
  private socket: net.Socket | null = null;
  private readonly core: ReturnType<typeof coreFor>;
  private buffer = Buffer.alloc(0);
  private chain: Promise<void> = Promise.resolve();
  readonly port: number;

  constructor(
    private readonly spec: VirtualCardSpec,
    private readonly options: VirtualCardOptions = {},
  ) {
    this.core = coreFor(spec);
    this.port = VPCD_BASE_PORT + (options.reader ?? 0);
  }

  get triesLeft() {
    return this.core.card.triesLeft;
  }

  /**
   * Inserts the card: connects to vpcd (pcscd must be running with vsmartcard-vpcd) and waits for
   * pcscd's first control byte; a connection vpcd drops before that is retried.
   */
  async insert(): Promise<void> {
    const wait = (lastRemoval.get(this.port) ?? 0) + REINSERT_GAP_MS - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    let lastError: Error | null = null;
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        await this.connectOnce();
        return;
      } catch (error) {
        lastError = error as Error;
        if ((error as { unreachable?: boolean }).unreachable) throw error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    throw lastError ?? new Error('vpcd did not accept the card');
  }

  private connectOnce(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.options.host ?? '127.0.0.1', port: this.port });
      socket.setNoDelay(true);
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      // pcscd polls a few times a second; no control byte in 5 s means it is not listening to us.
      const timer = setTimeout(() => {
        socket.destroy();
        settle(new Error('vpcd accepted the connection but pcscd never powered the card'));
      }, 5000);
      socket.once('connect', () => {
        this.socket = socket;
      });
      socket.once('error', (error) => {
        if (!this.socket)
          settle(
            Object.assign(
              new Error(`vpcd is not reachable on port ${this.port}: ${error.message}. Install and start pcscd with vsmartcard-vpcd: apt-get install pcscd vsmartcard-vpcd && pcscd`),
              { unreachable: true },
            ),
          );
      });
      socket.on('data', (chunk) => {
        settle();
        this.onData(chunk);
      });
      socket.on('close', () => {
        lastRemoval.set(this.port, Date.now());
        if (this.socket === socket) this.socket = null;
        this.core.card.reset();
        settle(new Error('vpcd closed the connection'));
      });
    });
  }

  /** Pulls the card out of the reader. */
  remove(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    this.core.card.reset();
    if (!socket) return Promise.resolve();
    lastRemoval.set(this.port, Date.now());
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  get inserted() {
    return this.socket !== null;
  }

  private onData(chunk: Buffer) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 2) {
      const length = this.buffer.readUInt16BE(0);
      if (this.buffer.length < 2 + length) break;
      const payload = new Uint8Array(this.buffer.subarray(2, 2 + length));
      this.buffer = this.buffer.subarray(2 + length);
      this.chain = this.chain.then(() => this.answer(payload)).catch((error) => this.options.log?.(`virtual card: ${error}`));
    }
  }

  private async answer(payload: Uint8Array) {
    const socket = this.socket;
    if (!socket) return;
    if (payload.length === 1) { this.options.log?.('control ' + payload[0]);
      const control = payload[0];
      if (control === 0x00 || control === 0x01 || control === 0x02) this.core.card.reset();
      else if (control === 0x04) this.write(socket, this.core.atr);
      return;
    }
    if (this.options.removeOn?.(payload)) {
      this.options.log?.('virtual card: pulled out mid-command');
      await this.remove();
      return;
    }
    if (this.options.stallOn?.(payload)) {
      this.options.log?.('virtual card: not answering');
      return;
    }
    const card = this.core.card as ApduCard & { asyncTransmit?(apdu: Uint8Array): Promise<Uint8Array> };
    const response = card.asyncTransmit ? await card.asyncTransmit(payload) : card.transmit(payload);
    this.options.log?.(`virtual card: ${Buffer.from(payload.subarray(0, 4)).toString('hex')} → ${Buffer.from(response.subarray(-2)).toString('hex')}`);
    this.write(socket, response);
  }

  private write(socket: net.Socket, data: Uint8Array) {
    const frame = Buffer.alloc(2 + data.length);
    frame.writeUInt16BE(data.length, 0);
    frame.set(data, 2);
    socket.write(frame);
  }
}
