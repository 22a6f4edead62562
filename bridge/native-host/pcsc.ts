import type { CardInterface, ContextInterface, ReaderInterface } from 'smartcard';
import { BridgeError } from './errors.ts';
import { loadSmartcard } from './load-pcsc-addon.ts';
import type { CardChannel } from './cards/card-driver.ts';

/**
 * PC/SC through the `smartcard` N-API binding (pcsc-lite on Linux/macOS, WinSCard on Windows).
 * Loaded lazily so `version` and bad input are answered even where the addon or pcscd is missing.
 */
type SmartcardModule = typeof import('smartcard');
let loaded: SmartcardModule | null = null;
function smartcard(): SmartcardModule {
  if (!loaded) {
    try {
      loaded = loadSmartcard();
    } catch (error) {
      throw new BridgeError('no_reader', `the PC/SC binding did not load: ${(error as Error).message}`);
    }
  }
  return loaded;
}

export interface ReaderHandle {
  name: string;
  cardPresent: boolean;
  connect(): Promise<CardConnection>;
}

export interface CardConnection extends CardChannel {
  /** Ends the session; `reset` drops the card's verified-PIN state (used after a signature). */
  close(reset: boolean): void;
}

const isRemoval = (error: unknown) => {
  const e = error as { name?: string; message?: string };
  return e?.name === 'CardRemovedError' || /removed|reset|transaction failed|no smart ?card|unpowered/i.test(e?.message ?? '');
};

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new BridgeError('timeout', `${what}: no answer in ${ms} ms`)), ms);
    }),
  ]);
}

export class Pcsc {
  private context: ContextInterface | null = null;
  constructor(private readonly timeoutMs: number) {}

  private ctx(): ContextInterface {
    if (this.context?.isValid) return this.context;
    try {
      this.context = new (smartcard().Context)();
    } catch (error) {
      if (error instanceof BridgeError) throw error;
      throw new BridgeError('no_reader', `the PC/SC service is not reachable (is pcscd running?): ${(error as Error).message}`);
    }
    return this.context;
  }

  /** The readers now, with whether a card is in each. */
  readers(): ReaderHandle[] {
    let list: ReaderInterface[];
    try {
      list = this.ctx().listReaders();
    } catch (error) {
      this.dispose();
      if ((error as { name?: string }).name === 'NoReadersError') return [];
      throw new BridgeError('no_reader', `listing readers failed: ${(error as Error).message}`);
    }
    const sc = smartcard();
    return list.map((reader) => ({
      name: reader.name,
      cardPresent: (reader.state & sc.SCARD_STATE_PRESENT) !== 0 && (reader.state & sc.SCARD_STATE_MUTE) === 0,
      connect: () => this.connect(reader),
    }));
  }

  private async connect(reader: ReaderInterface): Promise<CardConnection> {
    const sc = smartcard();
    let card: CardInterface;
    try {
      card = await withTimeout(reader.connect(sc.SCARD_SHARE_SHARED, sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1), this.timeoutMs, 'connect');
    } catch (error) {
      if (error instanceof BridgeError) throw error;
      throw new BridgeError(isRemoval(error) ? 'no_card' : 'card_error', `connecting to the card failed: ${(error as Error).message}`);
    }
    let open = true;
    let hung = false;
    return {
      transmit: async (apdu) => {
        if (!open) throw new BridgeError('card_removed', 'the card session has ended');
        let response: Buffer;
        try {
          response = await withTimeout(card.transmit(Buffer.from(apdu), { autoGetResponse: true, maxRecvLength: 4096 }), this.timeoutMs, 'transmit');
        } catch (error) {
          if (error instanceof BridgeError) {
            if (error.code === 'timeout') hung = true;
            throw error;
          }
          throw new BridgeError(isRemoval(error) ? 'card_removed' : 'card_error', `the card did not answer: ${(error as Error).message}`);
        }
        // pcscd + a card pulled mid-command: an empty response first, the exception only later.
        if (response.length < 2) throw new BridgeError('card_removed', 'the card was removed during the operation');
        return new Uint8Array(response);
      },
      close: (reset) => {
        if (!open) return;
        open = false;
        // SCardDisconnect waits for the pending SCardTransmit and is synchronous in the binding: it
        // would block the host until the card answers. Leave the handle; pcscd frees it when the
        // card is pulled out or the host exits.
        if (hung) return;
        try {
          card.disconnect(reset ? sc.SCARD_RESET_CARD : sc.SCARD_LEAVE_CARD);
        } catch {
          // already gone
        }
      },
    };
  }

  dispose() {
    try {
      this.context?.close();
    } catch {
      // ignore
    }
    this.context = null;
  }
}
