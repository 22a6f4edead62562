import type { IncomingMessage, ServerResponse } from 'node:http';
import { PortalError } from '../errors/portal-error.ts';
import { RateLimitedError } from '../errors/rate-limited-error.ts';
import { errorMessage } from '../errors/catalogue.ts';
import { localeFromCookieHeader } from '../i18n/locale.ts';

const MAX_JSON_BYTES = 64 * 1024;

/** The client went away while its request body was still arriving: nothing to answer, one log line. */
export class RequestAbortedError extends Error {
  constructor() {
    super('the client aborted the request body');
    this.name = 'RequestAbortedError';
  }
}

/** What the process log says about a request that failed unexpectedly: one line for a client's abort, the stack otherwise. */
export function failureLogLine(req: IncomingMessage, error: unknown): string {
  const where = `${req.method} ${(req.url ?? '').split('?')[0]}`;
  if (error instanceof RequestAbortedError) return `request aborted by the client: ${where}`;
  return `unexpected error on ${where}: ${(error as Error).stack ?? error}`;
}

/** Rejects when the client goes away before the body is complete (Node reports it as an 'aborted' error). */
export function onBodyAborted(req: IncomingMessage, reject: (error: Error) => void): void {
  req.once('error', () => reject(new RequestAbortedError()));
  req.once('close', () => {
    if (!req.complete) reject(new RequestAbortedError());
  });
}

/** Reads a JSON body: the content type, size and syntax are checked before anything else sees it. */
export async function readJsonBody(req: IncomingMessage, maxBytes = MAX_JSON_BYTES): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new PortalError('unsupported_media_type', 415);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new PortalError('payload_too_large', 413);
  const chunks: Buffer[] = [];
  let size = 0;
  // Not `for await`: leaving that loop early destroys the socket, and the client would get a reset
  // instead of the 413. Here reading just stops; the 413 goes out with `Connection: close`.
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      req.off('data', onData);
      req.off('end', resolve);
      req.pause();
      reject(new PortalError('payload_too_large', 413));
    };
    req.on('data', onData);
    req.once('end', resolve);
    onBodyAborted(req, reject);
  });
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new PortalError('invalid_request', 400, 'body is not valid JSON');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

/**
 * Sends a JSON answer and resolves once it has been handed to the network (or the client left):
 * for answers that must be out before a database lock is released.
 */
export function sendJsonAndWait(res: ServerResponse, status: number, body: unknown, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    res.once('finish', done);
    res.once('close', done);
    sendJson(res, status, body);
  });
}

/** Every failure becomes a JSON error with a stable code; unexpected ones are 500 without details. */
export function sendError(req: IncomingMessage, res: ServerResponse, error: unknown, onUnexpected: (e: unknown) => void): void {
  const locale = localeFromCookieHeader(req.headers.cookie);
  if (error instanceof PortalError) {
    // The rest of an oversized body is never read: close the connection once the answer is out.
    if (error.status === 413 && !res.headersSent) res.setHeader('connection', 'close');
    if (error instanceof RateLimitedError && !res.headersSent) res.setHeader('retry-after', String(error.retryAfterSeconds));
    sendJson(res, error.status, error.toJSON(locale));
    return;
  }
  onUnexpected(error);
  // A client that aborted its request is gone: there is no one to answer.
  if (error instanceof RequestAbortedError) return;
  if (!res.headersSent) sendJson(res, 500, { error: 'internal_error', message: errorMessage('internal_error', locale) });
}
