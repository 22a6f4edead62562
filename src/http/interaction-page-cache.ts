import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/*
 * The login and consent page (app/interaction/[uid]) is the same for every interaction of one
 * language: it shows nothing about the interaction until the browser asks /interaction/<uid>/view.
 * Rendering it with Next.js cost ~8 ms of CPU per login, a third of the portal's (issue 18), so
 * the first rendering per language is kept and every later request gets that page with its own
 * script nonce and its interaction's uid put in. What Next.js writes is kept byte for byte; only
 * the nonce of the request that rendered it and its uid (which appears in the route data) are
 * replaced, so the answer is exactly what Next.js would have rendered for this request.
 * Kept per process: a new build means a new process.
 */

const NONCE_SLOT = '\u0000nonce\u0000';
const UID_SLOT = '\u0000uid\u0000';

/** Set by the request handler, not by Next.js: never part of a kept page. */
const NOT_KEPT = new Set(['content-length', 'transfer-encoding', 'connection', 'date', 'set-cookie', 'content-encoding', 'etag']);

interface KeptPage {
  body: string;
  headers: OutgoingHttpHeaders;
}

export interface InteractionPageCache {
  /**
   * Answers with the kept page for `key` when there is one; otherwise lets `render` (Next.js)
   * answer and keeps what it wrote, if it can be reused.
   */
  serve(req: IncomingMessage, res: ServerResponse, options: { key: string; nonce: string; uid: string; render: () => Promise<void> }): Promise<void>;
  readonly size: number;
}

/** Only a browser's plain page load is served from memory: a client navigation asks Next.js for route data (RSC). */
export function isPlainPageLoad(req: IncomingMessage): boolean {
  if (req.method !== 'GET' || (req.url ?? '').includes('?')) return false;
  return !('rsc' in req.headers) && !('next-action' in req.headers) && !Object.keys(req.headers).some((h) => h.startsWith('next-router-'));
}

export function createInteractionPageCache(): InteractionPageCache {
  const pages = new Map<string, KeptPage>();
  return {
    get size() {
      return pages.size;
    },
    async serve(req, res, { key, nonce, uid, render }) {
      const kept = pages.get(key);
      if (kept) {
        const body = kept.body.replaceAll(NONCE_SLOT, nonce).replaceAll(UID_SLOT, uid);
        for (const [name, value] of Object.entries(kept.headers)) if (value !== undefined) res.setHeader(name, value);
        res.statusCode = 200;
        res.end(body);
        return;
      }
      const before = new Set(Object.keys(res.getHeaders()));
      // An uncompressed rendering, so that it can be kept (and sent as it is).
      delete req.headers['accept-encoding'];
      const written = captureBody(res);
      await render();
      if (!res.writableEnded) return;
      const body = await written;
      if (body === undefined || res.statusCode !== 200 || !body.includes(nonce)) return;
      const headers: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(res.getHeaders())) if (!before.has(name) && !NOT_KEPT.has(name)) headers[name] = value;
      if (res.getHeader('content-encoding') || res.getHeader('set-cookie')) return;
      pages.set(key, { body: body.replaceAll(nonce, NONCE_SLOT).replaceAll(uid, UID_SLOT), headers });
    },
  };
}

/** What is written to `res` (it is still sent), once the response has finished; undefined when it did not. */
function captureBody(res: ServerResponse): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  const keep = (chunk: unknown, encoding: unknown) => {
    if (typeof chunk === 'string') chunks.push(Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
    else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
  };
  const write = res.write;
  const end = res.end;
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    keep(chunk, rest[0]);
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    if (typeof chunk !== 'function') keep(chunk, rest[0]);
    return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
  } as ServerResponse['end'];
  return new Promise((resolve) => {
    res.once('finish', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.once('close', () => resolve(res.writableFinished ? Buffer.concat(chunks).toString('utf8') : undefined));
  });
}
