/**
 * The only module that touches the legacy `web-eid` package (0.0.8). It talks to the card
 * extension's content script with window.postMessage; the package logs every message it sends
 * and receives (`SEND: …` / `RECV: …`, nonce and token included, and for a PC/SC pass-through a
 * VERIFY APDU with the PIN), so a console filter is installed before the package is loaded and
 * stays for the life of the page.
 *
 * The package's fallback transport, a WebSocket to wss://app.web-eid.com:42123, is blocked by the
 * portal's content-security policy (`connect-src 'self'`): the extension is the only transport.
 * The CSP stays the guarantee; the package is only kept from trying (an inert socket for that one
 * address), since every blocked attempt is a console error on a page without the extension.
 */

/** Stable client-side codes for what went wrong at the card; messages are `errors.<code>`. */
export type CardErrorCode = 'card_cancelled' | 'card_not_present' | 'card_extension_missing' | 'card_wrong_type' | 'card_pin_locked' | 'card_error';

/** The card the page asks the bridge for: the HPKI card, or the My Number Card (JPKI). */
export type BridgeCard = 'hpki' | 'jpki';

export class CardError extends Error {
  constructor(
    readonly code: CardErrorCode,
    /** The extension's own reason (a PKCS#11 / PC/SC name such as `CKR_FUNCTION_CANCELED`), for support. */
    readonly reason: string,
  ) {
    super(`${code} (${reason})`);
    this.name = 'CardError';
  }
}

/** What web-eid.js 0.0.8 exports (it ships no type declarations). */
interface LegacyWebEid {
  isAvailable(options?: { timeout?: number }): Promise<string | false>;
  authenticate(nonce: string): Promise<unknown>;
  /** Sends one legacy message (`{authenticate: {nonce, card}}`) and resolves to the extension's answer. */
  promisify?(message: Record<string, unknown>): Promise<{ token?: unknown }>;
  /** PC/SC pass-through (SCardConnect); `options` must be an object, the package reads it unguarded. */
  connect?(options: { protocol?: string; atrs?: ArrayBuffer[] }): Promise<LegacyCardReader>;
}

/** The package's reader handle: SCardTransmit / SCardDisconnect bound to the reader name. */
interface LegacyCardReader {
  name: string;
  atr: ArrayBuffer;
  protocol: string;
  transmit(bytes: Uint8Array): Promise<ArrayBuffer>;
  disconnect(): Promise<boolean>;
}

/**
 * Everything web-eid.js 0.0.8 writes to the console, by the start of its first argument: the
 * message log with nonces, tokens and APDUs, and its start-up, race and WebSocket chatter.
 */
const PACKAGE_CONSOLE_LINES: readonly RegExp[] = [
  /^SEND: /,
  /^RECV: /,
  /^Web eID JS shim v/,
  /^Actual timeout is/,
  /^race resolved to/,
  /^race failed/,
  /^WS (open|close|error)/,
  /^Will retry in/,
  /^Could not create WS/,
];

const CONSOLE_LEVELS = ['log', 'info', 'debug', 'warn', 'error'] as const;
// A global marker, not a module variable: a second copy of this module (fast refresh) must not wrap twice.
const FILTER_MARK = Symbol.for('hpki-sso.web-eid-console-filter');

export function isWebEidConsoleLine(first: unknown): boolean {
  return typeof first === 'string' && PACKAGE_CONSOLE_LINES.some((line) => line.test(first));
}

/** Wraps the console methods the package uses so its lines are dropped and every other line passes. */
function installConsoleFilter(): void {
  const marked = globalThis as typeof globalThis & { [FILTER_MARK]?: true };
  if (marked[FILTER_MARK]) return;
  for (const level of CONSOLE_LEVELS) {
    const original = console[level];
    console[level] = function filteredConsole(this: Console, ...args: unknown[]) {
      if (isWebEidConsoleLine(args[0])) return;
      original.apply(this ?? console, args);
    };
  }
  marked[FILTER_MARK] = true;
}

const WEB_EID_APP_URL = 'wss://app.web-eid.com:42123';
const SOCKET_MARK = Symbol.for('hpki-sso.web-eid-socket-guard');

/** A socket that never opens nor fails: the package keeps waiting for the extension until its timeout. */
function installSocketGuard(): void {
  const marked = globalThis as typeof globalThis & { [SOCKET_MARK]?: true };
  if (marked[SOCKET_MARK] || typeof window.WebSocket !== 'function') return;
  window.WebSocket = new Proxy(window.WebSocket, {
    construct(target, args: [string | URL, ...unknown[]], newTarget) {
      if (String(args[0]).startsWith(WEB_EID_APP_URL)) return { addEventListener() {}, removeEventListener() {}, send() {}, close() {} };
      return Reflect.construct(target, args, newTarget);
    },
  });
  marked[SOCKET_MARK] = true;
}

let loading: Promise<LegacyWebEid> | undefined;

function loadWebEid(): Promise<LegacyWebEid> {
  if (typeof window === 'undefined') return Promise.reject(new CardError('card_extension_missing', 'no_browser'));
  loading ??= (async () => {
    installConsoleFilter();
    installSocketGuard();
    // @ts-expect-error web-eid 0.0.8 ships no type declarations; LegacyWebEid above is its shape.
    const loaded: { default?: LegacyWebEid } & Partial<LegacyWebEid> = await import('web-eid');
    const webeid = loaded.default ?? (loaded as LegacyWebEid);
    if (typeof webeid.isAvailable !== 'function' || typeof webeid.authenticate !== 'function') {
      throw new CardError('card_error', 'web_eid_package_unusable');
    }
    return webeid;
  })();
  // A failed load may be retried by the next call.
  loading.catch(() => (loading = undefined));
  return loading;
}

/**
 * Whether the card extension answers within `timeoutSeconds`. Once it has answered, the package
 * keeps the connection and later calls return at once.
 */
export async function isCardExtensionAvailable(timeoutSeconds = 2): Promise<boolean> {
  try {
    const webeid = await loadWebEid();
    return (await webeid.isAvailable({ timeout: timeoutSeconds })) !== false;
  } catch {
    return false;
  }
}

/** The nonce lives 5 minutes on the server; waiting longer for the PIN cannot succeed. */
const AUTHENTICATION_TIMEOUT_MS = 5 * 60 * 1000;

/**
 * Asks the extension to sign the server's nonce with the card's authentication key (the card
 * middleware asks the PIN). Resolves to the token as the extension gives it: the legacy JWS string
 * or a `web-eid:1` object. Rejects with a {@link CardError} only.
 *
 * `card: "jpki"` is the HPKI card bridge's addition to the legacy message (bridge/extension): the
 * package's `authenticate()` cannot carry it, so the message goes through the package's own sender.
 */
export async function authenticateWithCard(nonce: string, card: BridgeCard = 'hpki'): Promise<string | object> {
  let webeid: LegacyWebEid;
  try {
    webeid = await loadWebEid();
  } catch (error) {
    throw toCardError(error);
  }
  // The package sends nothing until a transport won its race; usually this returns at once.
  if ((await webeid.isAvailable({ timeout: 2 }).catch(() => false)) === false) {
    throw new CardError('card_extension_missing', 'unavailable');
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CardError('card_cancelled', 'timeout')), AUTHENTICATION_TIMEOUT_MS);
  });
  const send = webeid.promisify;
  const request =
    card === 'hpki'
      ? webeid.authenticate(nonce)
      : typeof send === 'function'
        ? send.call(webeid, { authenticate: { nonce, card } }).then((answer) => answer?.token)
        : Promise.reject(new CardError('card_error', 'web_eid_package_unusable'));
  try {
    const token = await Promise.race([request, timeout]);
    if (typeof token === 'string' && token.length > 0) return token;
    if (token !== null && typeof token === 'object') return token;
    throw new CardError('card_error', 'empty_token');
  } catch (error) {
    throw toCardError(error);
  } finally {
    clearTimeout(timer);
  }
}

/** The extension may first ask which reader to use, or wait for a card to be inserted. */
const CONNECT_TIMEOUT_MS = 2 * 60 * 1000;
/** The slowest JPKI command, the RSA-2048 signature, takes about a second on a real card. */
const TRANSMIT_TIMEOUT_MS = 30 * 1000;

const silentConsole = () => undefined;

/**
 * Runs `call` with every console method replaced by a no-op. The package logs `SEND: <message>`
 * synchronously inside the call, before any await; muting at this point also hides it from
 * console wrappers installed after our filter (developer tools, error reporters), so a VERIFY
 * APDU with the PIN reaches no console method at all. The package's `RECV:` line (the card's
 * answer, never the PIN) arrives later and is dropped by the console filter.
 */
function withConsoleMuted<T>(call: () => T): T {
  const saved = CONSOLE_LEVELS.map((level) => [level, console[level]] as const);
  for (const level of CONSOLE_LEVELS) console[level] = silentConsole;
  try {
    return call();
  } finally {
    for (const [level, method] of saved) console[level] = method;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CardError('card_cancelled', 'timeout')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A card reader connected through the extension's PC/SC pass-through. */
export interface CardReaderConnection {
  /** The reader name the extension reported. */
  readonly name: string;
  /** The card's answer-to-reset. */
  readonly atr: Uint8Array;
  /** One command APDU in, the response APDU (status word included) out; rejects with a CardError. */
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
  /** Ends the session (the card's PIN state with it); never rejects, safe to call twice. */
  disconnect(): Promise<void>;
}

/**
 * Connects to a card through the extension (web-eid.js `connect()` → `SCardConnect`). No
 * command or response reaches the console: see {@link withConsoleMuted} and the console filter.
 * Rejects with a {@link CardError} only (`card_not_present` when no card is in the reader).
 */
export async function connectCardReader(): Promise<CardReaderConnection> {
  let webeid: LegacyWebEid;
  try {
    webeid = await loadWebEid();
  } catch (error) {
    throw toCardError(error);
  }
  if ((await webeid.isAvailable({ timeout: 2 }).catch(() => false)) === false) {
    throw new CardError('card_extension_missing', 'unavailable');
  }
  const connect = webeid.connect;
  if (typeof connect !== 'function') throw new CardError('card_error', 'web_eid_package_unusable');
  let reader: LegacyCardReader;
  try {
    reader = await withTimeout(withConsoleMuted(() => connect.call(webeid, { protocol: '*', atrs: [] })), CONNECT_TIMEOUT_MS);
  } catch (error) {
    throw toCardError(error);
  }
  let open = true;
  return {
    name: String(reader.name),
    atr: new Uint8Array(reader.atr),
    async transmit(apdu) {
      if (!open) throw new CardError('card_error', 'disconnected');
      try {
        return new Uint8Array(await withTimeout(withConsoleMuted(() => reader.transmit(apdu)), TRANSMIT_TIMEOUT_MS));
      } catch (error) {
        throw toCardError(error);
      }
    },
    async disconnect() {
      if (!open) return;
      open = false;
      await withTimeout(withConsoleMuted(() => reader.disconnect()), TRANSMIT_TIMEOUT_MS).catch(() => undefined);
    },
  };
}

const CANCELLED = new Set([
  'CKR_FUNCTION_CANCELED',
  'CKR_CANCEL',
  'SCARD_E_CANCELLED',
  'SCARD_W_CANCELLED_BY_USER',
  'user_cancel',
  'user_cancelled',
  'timeout',
  'ERR_WEBEID_USER_CANCELLED',
  'ERR_WEBEID_USER_TIMEOUT',
]);
const NOT_PRESENT = new Set([
  'SCARD_E_NO_SMARTCARD',
  'SCARD_W_REMOVED_CARD',
  'SCARD_E_NO_READERS_AVAILABLE',
  'SCARD_E_READER_UNAVAILABLE',
  'SCARD_E_UNKNOWN_READER',
  'SCARD_E_TIMEOUT',
  'CKR_TOKEN_NOT_PRESENT',
  'CKR_TOKEN_NOT_RECOGNIZED',
  'CKR_DEVICE_REMOVED',
  'CKR_SLOT_ID_INVALID',
  'no_certificates',
  'no_card',
  'ERR_WEBEID_NO_CARD',
]);
const WRONG_TYPE = new Set(['wrong_card_type']);
const PIN_LOCKED = new Set(['CKR_PIN_LOCKED']);
const EXTENSION_MISSING = new Set([
  'App has disappeared',
  'ERR_WEBEID_EXTENSION_UNAVAILABLE',
  'ERR_WEBEID_NATIVE_UNAVAILABLE',
  'ERR_WEBEID_NATIVE_FATAL',
]);

/** Maps an extension error string to a stable client code; anything unknown is `card_error`. */
export function cardErrorCode(reason: string): CardErrorCode {
  if (CANCELLED.has(reason)) return 'card_cancelled';
  if (NOT_PRESENT.has(reason)) return 'card_not_present';
  if (EXTENSION_MISSING.has(reason)) return 'card_extension_missing';
  if (WRONG_TYPE.has(reason)) return 'card_wrong_type';
  if (PIN_LOCKED.has(reason)) return 'card_pin_locked';
  return 'card_error';
}

/**
 * The message code for a card error when the page asked for `card`: a wrong card names the card
 * that is in the reader (the other one), a missing card the one that was asked for.
 */
export function cardMessageCode(code: CardErrorCode, card: BridgeCard): Exclude<CardErrorCode, 'card_wrong_type'> | 'card_wrong_type_hpki' | 'card_wrong_type_jpki' | 'jpki_card_not_present' {
  if (code === 'card_wrong_type') return card === 'hpki' ? 'card_wrong_type_jpki' : 'card_wrong_type_hpki';
  if (code === 'card_not_present' && card === 'jpki') return 'jpki_card_not_present';
  return code;
}

/** Only a short code-like reason is kept: the extension's text is shown to people for support. */
function safeReason(reason: string): string {
  return /^[A-Za-z0-9_ .:-]{1,64}$/.test(reason) ? reason : 'unknown';
}

function toCardError(error: unknown): CardError {
  if (error instanceof CardError) return error;
  const reason = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  return new CardError(cardErrorCode(reason), safeReason(reason));
}
