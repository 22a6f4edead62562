import { BRIDGE_PROTOCOL_VERSION, MAX_MESSAGE_BYTES, requestSchema, type BridgeRequest, type BridgeResponse, type CardType } from '../protocol.ts';
import { BridgeError } from './errors.ts';
import { originRefusal, type HostConfig } from './config.ts';
import { Pcsc, type CardConnection } from './pcsc.ts';
import type { CardDriver } from './cards/card-driver.ts';
import { createHpkiDriver } from './cards/hpki.ts';
import { jpkiDriver } from './cards/jpki.ts';
import { legacyJwsToken, requireRsaCertificate, webEidToken } from './tokens.ts';

export const HOST_VERSION = BRIDGE_PROTOCOL_VERSION;
export const DEFAULT_TIMEOUT_MS = 30_000;

type Drivers = Record<CardType, CardDriver>;

/** Drivers for one operation (the HPKI one pads to the key size of the certificate it read). */
function drivers(keyBytes: () => number): Drivers {
  return { hpki: createHpkiDriver(keyBytes), jpki: jpkiDriver };
}
const detectionDrivers = drivers(() => 256);

/** Answers one message (already framed); never throws. */
export class CardBridgeHost {
  private readonly pcsc: Pcsc;
  constructor(private readonly config: HostConfig) {
    this.pcsc = new Pcsc(config.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }

  async handleText(text: string): Promise<BridgeResponse> {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return failure('', new BridgeError('bad_request', 'the message is not JSON'));
    }
    const id = idOf(raw);
    const parsed = requestSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return failure(id, new BridgeError('bad_request', `${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'}`));
    }
    try {
      return await this.handle(parsed.data);
    } catch (error) {
      if (error instanceof BridgeError) return failure(id, error);
      return failure(id, new BridgeError('card_error', `unexpected: ${(error as Error)?.message ?? String(error)}`));
    }
  }

  private async handle(request: BridgeRequest): Promise<BridgeResponse> {
    switch (request.command) {
      case 'version':
        return { id: request.id, ok: true, version: HOST_VERSION };
      case 'status':
        return { id: request.id, ok: true, readers: await this.status() };
      case 'pin-status': {
        const triesLeft = await this.withCard(request.card, (conn, driver) => driver.pinTriesLeft(conn), false);
        return { id: request.id, ok: true, card: request.card, triesLeft };
      }
      case 'authenticate': {
        const refusal = originRefusal(this.config, request.origin);
        if (refusal) throw new BridgeError('origin_not_allowed', refusal);
        const token = await this.withCard(
          request.card,
          async (conn, driver) => {
            const certificate = await driver.readCertificate(conn);
            requireRsaCertificate(certificate);
            await driver.verifyPin(conn, request.pin);
            const sign = (digest: Uint8Array) => driver.signDigest(conn, digest);
            return request.format === 'web-eid:1.0'
              ? await webEidToken(certificate, request.origin, request.challengeNonce, sign)
              : await legacyJwsToken(certificate, request.origin, request.challengeNonce, sign);
          },
          true,
        );
        return { id: request.id, ok: true, token };
      }
    }
  }

  private async status() {
    const readers = this.pcsc.readers();
    const out = [];
    for (const reader of readers) {
      let card: 'hpki' | 'jpki' | 'unknown' | null = null;
      if (reader.cardPresent) {
        try {
          const conn = await reader.connect();
          try {
            card = (await detectType(conn)) ?? 'unknown';
          } finally {
            conn.close(false);
          }
        } catch {
          card = 'unknown';
        }
      }
      out.push({ name: reader.name, cardPresent: reader.cardPresent, card });
    }
    return out;
  }

  /** Finds a reader holding a card of `type`, runs `action` on it, then ends the session. */
  private async withCard<T>(type: CardType, action: (conn: CardConnection, driver: CardDriver) => Promise<T>, resetAfter: boolean): Promise<T> {
    const readers = this.pcsc.readers();
    if (readers.length === 0) throw new BridgeError('no_reader', 'no smart-card reader is connected');
    const present = readers.filter((r) => r.cardPresent);
    if (present.length === 0) throw new BridgeError('no_card', 'no card is in the reader');
    const seen: string[] = [];
    for (const reader of present) {
      let conn: CardConnection;
      try {
        conn = await reader.connect();
      } catch (error) {
        if (error instanceof BridgeError && error.code === 'no_card') continue;
        throw error;
      }
      let keyBytes = 256;
      const driver = drivers(() => keyBytes)[type];
      let matched = false;
      try {
        if (await driver.detect(conn)) {
          matched = true;
          const wrapped: CardDriver = {
            ...driver,
            readCertificate: async (c) => {
              const der = await driver.readCertificate(c);
              keyBytes = requireRsaCertificate(der).keyBytes;
              return der;
            },
          };
          return await action(conn, wrapped);
        }
        seen.push((await detectType(conn)) ?? 'unknown');
      } finally {
        conn.close(matched && resetAfter);
      }
    }
    const other = seen.find((t) => t !== 'unknown');
    if (other) throw new BridgeError('wrong_card_type', `the card in the reader is a ${other === 'hpki' ? 'HPKI card' : 'My Number Card'}, not a ${type === 'hpki' ? 'HPKI card' : 'My Number Card'}`);
    if (present.length === 0 || seen.length === 0) throw new BridgeError('no_card', 'no card is in the reader');
    throw new BridgeError('unknown_card', 'the card in the reader is neither an HPKI card nor a My Number Card');
  }

  dispose() {
    this.pcsc.dispose();
  }
}

async function detectType(conn: CardConnection): Promise<CardType | null> {
  if (await detectionDrivers.hpki.detect(conn)) return 'hpki';
  if (await detectionDrivers.jpki.detect(conn)) return 'jpki';
  return null;
}

function idOf(raw: unknown): string {
  if (raw && typeof raw === 'object' && 'id' in raw) {
    const id = (raw as { id: unknown }).id;
    if (typeof id === 'string' && id.length <= 64) return id;
  }
  return '';
}

export function failure(id: string, error: BridgeError): BridgeResponse {
  return {
    id,
    ok: false,
    error: { code: error.code, message: error.message.slice(0, 500), ...(error.triesLeft === undefined ? {} : { triesLeft: error.triesLeft }) },
  };
}

export { MAX_MESSAGE_BYTES };
