/**
 * Content script (top frames only, document_start): relays Web eID messages that the page posts to
 * its own window to the service worker, and posts the answers back to the page. Messages from other
 * frames (`event.source !== window`) are ignored, so an embedded page of another origin cannot use
 * the portal's tab; the service worker decides by `sender.origin`, which the browser sets.
 *
 * Nothing is answered to a page whose origin is not on the allow-list: the service worker returns
 * no reply, so the page cannot even tell the extension is installed.
 */
import { chromeApi } from './chrome-api.ts';
import { currentAction, parsePageMessage, type PageRequest } from './page-protocol.ts';

interface WorkerAnswer {
  reply?: Record<string, unknown>;
}

async function askWorker(message: unknown): Promise<WorkerAnswer> {
  try {
    const answer = (await chromeApi.runtime.sendMessage(message)) as WorkerAnswer | undefined;
    return answer ?? {};
  } catch {
    // The extension was reloaded or updated under this page: stay silent, as if not installed.
    return {};
  }
}

function answerPage(reply: Record<string, unknown>) {
  window.postMessage(reply, window.location.origin);
}

async function relay(request: PageRequest) {
  if (request.protocol === 'current' && request.kind !== 'unsupported') {
    // web-eid.js expects an acknowledgement at once; only allow-listed origins get it.
    const { reply: allowed } = await askWorker({ type: 'allowed' });
    if (allowed?.allowed !== true) return;
    answerPage({ action: `${currentAction(request)}-ack` });
  }
  const { reply } = await askWorker({ type: 'page-request', request });
  if (reply) answerPage(reply);
}

window.addEventListener('message', (event: MessageEvent) => {
  if (event.source !== window) return;
  const request = parsePageMessage(event.data);
  if (request) void relay(request);
});
