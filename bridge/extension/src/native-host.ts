/**
 * One connection to the card bridge's native messaging host (bridge/native-host/), opened for one
 * operation and closed after it. Requests and answers are the shapes of bridge/protocol.ts; every
 * answer is parsed with its schema. An open native port also keeps the MV3 service worker alive
 * (Chromium 116+) while the PIN window waits for the user.
 */
import { NATIVE_HOST_NAME, requestSchema, responseSchema, type BridgeRequest, type BridgeResponse } from '../../protocol.ts';
import { chromeApi, type NativePort } from './chrome-api.ts';

type Pending = { resolve: (response: BridgeResponse) => void };
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What the host answered when it did not answer: it is missing, it crashed, or it spoke nonsense. */
export function hostUnavailable(id: string, message: string): BridgeResponse {
  return { id, ok: false, error: { code: 'card_error', message: `host_unavailable: ${message}` } };
}

export function isHostUnavailable(response: BridgeResponse): boolean {
  return !response.ok && response.error.message.startsWith('host_unavailable:');
}

export class HostSession {
  private port: NativePort | null;
  private readonly pending = new Map<string, Pending>();
  private closedReason: string | null = null;

  constructor() {
    try {
      this.port = chromeApi.runtime.connectNative(NATIVE_HOST_NAME);
    } catch (error) {
      this.port = null;
      this.closedReason = error instanceof Error ? error.message : 'cannot start the native host';
      return;
    }
    this.port.onMessage.addListener((message) => this.receive(message));
    this.port.onDisconnect.addListener(() => {
      this.closedReason = chromeApi.runtime.lastError?.message ?? 'the native host exited';
      this.port = null;
      for (const [id, { resolve }] of this.pending) resolve(hostUnavailable(id, this.closedReason));
      this.pending.clear();
    });
  }

  private receive(message: unknown) {
    const parsed = responseSchema.safeParse(message);
    if (!parsed.success) return; // not ours to resolve; a request without an answer ends with the port
    const pending = this.pending.get(parsed.data.id);
    if (!pending) return;
    this.pending.delete(parsed.data.id);
    pending.resolve(parsed.data);
  }

  /** Sends one request; resolves with the host's answer (never rejects). */
  request(request: DistributiveOmit<BridgeRequest, 'id'>): Promise<BridgeResponse> {
    const id = crypto.randomUUID();
    const full = requestSchema.safeParse({ ...request, id });
    if (!full.success) return Promise.resolve({ id, ok: false, error: { code: 'bad_request', message: 'invalid request' } });
    if (!this.port) return Promise.resolve(hostUnavailable(id, this.closedReason ?? 'not connected'));
    return new Promise((resolve) => {
      this.pending.set(id, { resolve });
      try {
        this.port!.postMessage(full.data);
      } catch (error) {
        this.pending.delete(id);
        resolve(hostUnavailable(id, error instanceof Error ? error.message : 'post failed'));
      }
    });
  }

  close() {
    const port = this.port;
    this.port = null;
    this.closedReason = 'closed';
    for (const [id, { resolve }] of this.pending) resolve(hostUnavailable(id, 'closed'));
    this.pending.clear();
    try {
      port?.disconnect();
    } catch {
      // already gone
    }
  }
}
