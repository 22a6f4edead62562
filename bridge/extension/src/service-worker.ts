/**
 * The bridge's service worker. It answers page requests relayed by the content script only for
 * origins on the allow-list, with the origin taken from `sender.origin` (set by the browser, never
 * by the page); other pages get no answer at all. The PIN is asked in the extension's own window
 * (pin.html), which names the requesting origin, the card and the tries left; the PIN goes only to
 * the native host. No raw APDU pass-through exists.
 */
import './zod-config.ts';
import { challengeNonceSchema, originSchema, type BridgeResponse, type CardType } from '../../protocol.ts';
import { chromeApi, type MessageSender } from './chrome-api.ts';
import { HostSession, isHostUnavailable } from './native-host.ts';
import { managedPolicy, validOrigins } from './managed-policy.ts';
import {
  currentAction,
  currentFailureReply,
  isPageRequest,
  legacyErrorReply,
  requestedCard,
  type ExtensionErrorCode,
  type PageRequest,
} from './page-protocol.ts';
import { PIN_PROMPT_TIMEOUT_MS, type PinInfo, type PinResult } from './pin-messages.ts';

const EXTENSION_VERSION = chromeApi.runtime.getManifest().version;
const EXTENSION_ORIGIN = new URL(chromeApi.runtime.getURL('/')).origin;

// ---------------------------------------------------------------- allow-list

/**
 * Enterprise policy (`chrome.storage.managed`, key `allowedOrigins`) replaces everything else when
 * set. Otherwise: the list kept in `chrome.storage.local` (options page) plus the list the
 * installer wrote next to an unpacked extension (`allowed-origins.json`).
 */
export async function allowedOrigins(options: { quick?: boolean } = {}): Promise<Set<string>> {
  const managed = options.quick ? await Promise.race([managedOrigins(), sleep(QUICK_POLICY_WAIT_MS).then(() => undefined)]) : await managedOrigins();
  if (managed) return new Set(managed);
  const origins = new Set<string>();
  try {
    const local = await chromeApi.storage.local.get('allowedOrigins');
    for (const o of validOrigins(local.allowedOrigins)) origins.add(o);
  } catch {
    // storage unavailable
  }
  try {
    const response = await fetch(chromeApi.runtime.getURL('allowed-origins.json'));
    if (response.ok) for (const o of validOrigins(((await response.json()) as { allowedOrigins?: unknown }).allowedOrigins)) origins.add(o);
  } catch {
    // not installed by the installer: no packaged list
  }
  return origins;
}

/**
 * The policy's list, or null without one. Read when the worker starts, and asked again while it
 * says "no policy" (Chromium may say so before its policy service is ready: managed-policy.ts).
 */
const policy = managedPolicy({
  read: (key) => chromeApi.storage.managed.get(key),
  recheckMs: 2_000,
});
/**
 * Presence checks (legacy `version`, the current protocol's ack) wait at most this long for the
 * policy; until it is known they use the installer's and the user's lists. Anything that reaches
 * the host or the card waits for the policy and checks again.
 */
const QUICK_POLICY_WAIT_MS = 250;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const managedOrigins = () => policy.origins();
chromeApi.storage.onChanged?.addListener((_changes, area) => {
  if (area === 'managed') policy.changed();
});
void managedOrigins();

/** The page's origin as the browser reported it; null for anything but a top frame of a web page. */
function senderOrigin(sender: MessageSender): string | null {
  if (sender.id !== chromeApi.runtime.id) return null;
  if (sender.frameId !== undefined && sender.frameId !== 0) return null;
  let origin = sender.origin;
  if (!origin && sender.url) {
    try {
      origin = new URL(sender.url).origin; // Firefox before sender.origin
    } catch {
      return null;
    }
  }
  return origin && originSchema.safeParse(origin).success ? origin : null;
}

// ---------------------------------------------------------------- PIN window

interface PinSubmission {
  pin: string;
  respond: (result: PinResult) => void;
}

class PinPrompt {
  readonly id = crypto.randomUUID();
  windowId: number | undefined;
  private waiting: ((submission: PinSubmission | null) => void) | null = null;
  private queued: PinSubmission | null = null;
  private ended: 'cancelled' | 'timeout' | null = null;
  private readonly timer: ReturnType<typeof setTimeout>;

  constructor(
    readonly origin: string,
    readonly card: CardType,
    public triesLeft: number,
  ) {
    this.timer = setTimeout(() => this.end('timeout'), PIN_PROMPT_TIMEOUT_MS);
  }

  info(): PinInfo {
    return { origin: this.origin, card: this.card, triesLeft: this.triesLeft };
  }

  /** The next PIN the user types, or null once cancelled, closed or timed out. */
  next(): Promise<PinSubmission | null> {
    if (this.ended) return Promise.resolve(null);
    const queued = this.queued;
    this.queued = null;
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** A PIN typed before the worker asks for it (the window can be faster than windows.create) waits. */
  submit(submission: PinSubmission) {
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting) waiting(submission);
    else if (!this.queued && !this.ended) this.queued = submission;
    else submission.respond({ status: 'failed', code: 'busy' });
  }

  end(reason: 'cancelled' | 'timeout') {
    if (this.ended) return;
    this.ended = reason;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.(null);
    this.queued?.respond({ status: 'failed', code: reason });
    this.queued = null;
  }

  get endReason() {
    return this.ended;
  }

  async close() {
    clearTimeout(this.timer);
    prompts.delete(this.id);
    if (this.windowId !== undefined) await chromeApi.windows.remove(this.windowId).catch(() => undefined);
    this.windowId = undefined;
  }
}

const prompts = new Map<string, PinPrompt>();

chromeApi.windows.onRemoved.addListener((windowId) => {
  for (const prompt of prompts.values()) if (prompt.windowId === windowId) {
    prompt.windowId = undefined;
    prompt.end('cancelled');
  }
});

async function openPrompt(prompt: PinPrompt) {
  prompts.set(prompt.id, prompt);
  const created = await chromeApi.windows.create({
    url: chromeApi.runtime.getURL(`pin.html#${prompt.id}`),
    type: 'popup',
    width: 440,
    height: 520,
    focused: true,
  });
  prompt.windowId = created.id;
}

// ---------------------------------------------------------------- operations

type Outcome = { ok: true; token: unknown } | { ok: false; code: ExtensionErrorCode; message: string };

function failure(response: BridgeResponse & { ok: false }): Outcome {
  if (isHostUnavailable(response)) return { ok: false, code: 'host_unavailable', message: 'the card bridge host is not installed or not running' };
  return { ok: false, code: response.error.code, message: response.error.message };
}

let busy = false;

async function authenticate(origin: string, nonce: unknown, cardValue: unknown, format: 'web-eid:1.0' | 'legacy-jws'): Promise<Outcome> {
  const card = requestedCard(cardValue);
  if (!card || !challengeNonceSchema.safeParse(nonce).success) {
    return { ok: false, code: 'bad_request', message: 'the challenge nonce must be 43–128 characters; card must be hpki or jpki' };
  }
  if (busy) return { ok: false, code: 'busy', message: 'another card operation is in progress' };
  busy = true;
  const host = new HostSession();
  let prompt: PinPrompt | null = null;
  try {
    const status = await host.request({ command: 'pin-status', card });
    if (!status.ok) return failure(status);
    if (!('triesLeft' in status)) return { ok: false, code: 'card_error', message: 'unexpected answer to pin-status' };
    if (status.triesLeft === 0) return { ok: false, code: 'pin_locked', message: 'the PIN is locked' };
    prompt = new PinPrompt(origin, card, status.triesLeft);
    await openPrompt(prompt);
    for (;;) {
      const submission = await prompt.next();
      if (!submission) {
        const reason = prompt.endReason === 'timeout' ? 'timeout' : 'cancelled';
        return { ok: false, code: reason, message: reason === 'timeout' ? 'no PIN was entered in time' : 'the PIN entry was cancelled' };
      }
      const answer = await host.request({ command: 'authenticate', origin, challengeNonce: nonce as string, card, format, pin: submission.pin });
      if (answer.ok && 'token' in answer) {
        submission.respond({ status: 'done' });
        return { ok: true, token: answer.token };
      }
      if (!answer.ok && answer.error.code === 'pin_wrong' && (answer.error.triesLeft ?? 0) > 0) {
        prompt.triesLeft = answer.error.triesLeft!;
        submission.respond({ status: 'retry', triesLeft: prompt.triesLeft });
        continue;
      }
      // No tries left after a wrong PIN: the card is locked now.
      const outcome: Outcome & { ok: false } = answer.ok
        ? { ok: false, code: 'card_error', message: 'unexpected answer to authenticate' }
        : answer.error.code === 'pin_wrong'
          ? { ok: false, code: 'pin_locked', message: 'the PIN is locked' }
          : (failure(answer) as Outcome & { ok: false });
      submission.respond({ status: 'failed', code: outcome.code });
      return outcome;
    }
  } finally {
    busy = false;
    host.close();
    await prompt?.close();
  }
}

async function hostVersion(): Promise<Outcome> {
  const host = new HostSession();
  try {
    const answer = await host.request({ command: 'version' });
    if (!answer.ok) return failure(answer);
    return 'version' in answer ? { ok: true, token: answer.version } : { ok: false, code: 'card_error', message: 'unexpected answer to version' };
  } finally {
    host.close();
  }
}

/** The answer for an allow-listed page, in the page's own protocol. */
async function answerPage(request: PageRequest, origin: string): Promise<Record<string, unknown>> {
  if (request.protocol === 'legacy') {
    if (request.kind === 'version') return { id: request.id, version: EXTENSION_VERSION };
    if (request.kind === 'unsupported') return legacyErrorReply(request.id, 'not_supported');
    const outcome = await authenticate(origin, request.nonce, request.card, 'legacy-jws');
    return outcome.ok ? { id: request.id, token: outcome.token } : legacyErrorReply(request.id, outcome.code);
  }
  const action = currentAction(request);
  if (request.kind === 'unsupported') return currentFailureReply(action, 'not_supported', `${action} is not offered by the HPKI card bridge`);
  if (request.kind === 'status') {
    const outcome = await hostVersion();
    if (!outcome.ok) return currentFailureReply(action, outcome.code, outcome.message);
    return { action: `${action}-success`, library: request.libraryVersion, extension: EXTENSION_VERSION, nativeApp: outcome.token };
  }
  const outcome = await authenticate(origin, request.nonce, request.card, 'web-eid:1.0');
  if (!outcome.ok) return currentFailureReply(action, outcome.code, outcome.message);
  return { ...(outcome.token as Record<string, unknown>), action: `${action}-success` };
}

// ---------------------------------------------------------------- messages

function handleExtensionPage(message: Record<string, unknown>, sendResponse: (response?: unknown) => void): boolean {
  const prompt = typeof message.promptId === 'string' ? prompts.get(message.promptId) : undefined;
  if (!prompt) {
    sendResponse({ reply: { status: 'failed', code: 'cancelled' } });
    return false;
  }
  if (message.type === 'pin-info') {
    sendResponse({ reply: prompt.info() });
    return false;
  }
  if (message.type === 'pin-cancel') {
    prompt.end('cancelled');
    sendResponse({ reply: { status: 'failed', code: 'cancelled' } });
    return false;
  }
  if (message.type === 'pin-submit' && typeof message.pin === 'string' && /^[0-9]{4,16}$/.test(message.pin)) {
    prompt.submit({ pin: message.pin, respond: (result) => sendResponse({ reply: result }) });
    return true;
  }
  sendResponse({ reply: { status: 'retry', triesLeft: prompt.triesLeft } });
  return false;
}

chromeApi.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (typeof message !== 'object' || message === null) return false;
  const body = message as Record<string, unknown>;
  // The PIN window and the options page: the extension's own pages only.
  if (sender.id === chromeApi.runtime.id && (sender.origin === EXTENSION_ORIGIN || sender.url?.startsWith(EXTENSION_ORIGIN + '/'))) {
    return handleExtensionPage(body, sendResponse);
  }
  const origin = senderOrigin(sender);
  if (!origin) {
    sendResponse({});
    return false;
  }
  void (async () => {
    const request = body.type === 'page-request' && isPageRequest(body.request) ? body.request : null;
    const presenceOnly = body.type === 'allowed' || (request?.protocol === 'legacy' && request.kind === 'version');
    const allowed = (await allowedOrigins({ quick: presenceOnly })).has(origin);
    if (!allowed) return sendResponse({}); // no answer at all for other pages
    if (body.type === 'allowed') return sendResponse({ reply: { allowed: true } });
    if (request) {
      // The full check (policy included) before anything reaches the host.
      if (!presenceOnly && !(await allowedOrigins()).has(origin)) return sendResponse({});
      return sendResponse({ reply: await answerPage(request, origin) });
    }
    sendResponse({});
  })().catch(() => sendResponse({}));
  return true;
});
