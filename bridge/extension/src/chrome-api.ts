/**
 * The few extension APIs the bridge uses, typed by hand (no @types/chrome in the project). Chromium
 * exposes them as `chrome`, Firefox as `browser` and `chrome`; both return promises in MV3.
 */
export interface MessageSender {
  id?: string;
  /** The page's origin as the browser sees it (Chromium; Firefox 126+ — else derived from `url`). */
  origin?: string;
  url?: string;
  frameId?: number;
  tab?: { id?: number; windowId?: number };
}

export interface NativePort {
  postMessage(message: unknown): void;
  disconnect(): void;
  onMessage: { addListener(listener: (message: unknown) => void): void };
  onDisconnect: { addListener(listener: (port: NativePort) => void): void };
}

export interface ChromeApi {
  runtime: {
    id: string;
    lastError?: { message?: string };
    getManifest(): { version: string; name: string };
    getURL(path: string): string;
    connectNative(application: string): NativePort;
    sendMessage(message: unknown): Promise<unknown>;
    onMessage: {
      addListener(
        listener: (message: unknown, sender: MessageSender, sendResponse: (response?: unknown) => void) => boolean | void,
      ): void;
    };
    openOptionsPage?(): Promise<void>;
  };
  storage: {
    local: { get(keys: string | string[]): Promise<Record<string, unknown>>; set(items: Record<string, unknown>): Promise<void> };
    managed: { get(keys: string | string[]): Promise<Record<string, unknown>> };
    onChanged?: { addListener(listener: (changes: Record<string, unknown>, area: string) => void): void };
  };
  windows: {
    create(options: { url: string; type: 'popup' | 'normal'; width?: number; height?: number; focused?: boolean }): Promise<{ id?: number }>;
    remove(windowId: number): Promise<void>;
    onRemoved: { addListener(listener: (windowId: number) => void): void };
  };
}

export const chromeApi: ChromeApi = (globalThis as unknown as { chrome: ChromeApi }).chrome;
