import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInteractionPageCache, isPlainPageLoad } from '../../src/http/interaction-page-cache.ts';

/**
 * Issue 18: the login and consent page is rendered once per language and then served from memory,
 * each time with the request's own nonce and uid — the answer must be exactly what a fresh
 * rendering would have been. The renderer here stands in for Next.js and writes the nonce and the
 * uid where Next.js does (script tags, route data), in several chunks.
 */
const cache = createInteractionPageCache();
let renders = 0;
let behaviour: 'page' | 'not-found' | 'no-nonce' | 'cookie' = 'page';
let server: http.Server;
let base: string;

function renderLikeNext(req: http.IncomingMessage, res: http.ServerResponse, nonce: string, uid: string): Promise<void> {
  renders++;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('vary', 'rsc, next-router-state-tree');
  if (behaviour === 'cookie') res.setHeader('set-cookie', 'x=1');
  res.statusCode = behaviour === 'not-found' ? 404 : 200;
  res.write(`<!DOCTYPE html><html lang="${req.headers.cookie?.includes('lang=en') ? 'en' : 'ja'}"><head><script src="/a.js" nonce="${behaviour === 'no-nonce' ? 'x' : nonce}" async></script></head>`);
  res.write(Buffer.from(`<body><main>読み込み中…</main><script nonce="${behaviour === 'no-nonce' ? 'x' : nonce}">self.__next_f.push([1,"c:[\\"\\",\\"interaction\\",\\"${uid}\\"]"])</script>`));
  res.end('</body></html>');
  return Promise.resolve();
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const nonce = crypto.randomBytes(16).toString('base64');
    const uid = new URL(req.url!, 'http://x').pathname.split('/')[2]!;
    res.setHeader('content-security-policy', `script-src 'self' 'nonce-${nonce}'`);
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-nonce', nonce);
    const lang = req.headers.cookie?.includes('lang=en') ? 'en' : 'ja';
    void cache.serve(req, res, { key: `${behaviour}:${lang}:${uid.length}`, nonce, uid, render: () => renderLikeNext(req, res, nonce, uid) });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server?.close());

const uidOf = () => crypto.randomBytes(32).toString('base64url').slice(0, 43);
async function load(uid: string, lang = 'ja') {
  const res = await fetch(`${base}/interaction/${uid}`, { headers: { cookie: `lang=${lang}`, 'accept-encoding': 'gzip' } });
  return { status: res.status, body: await res.text(), nonce: res.headers.get('x-nonce')!, headers: res.headers };
}
/** A page with its nonce and uid replaced by placeholders: what must be the same for every interaction. */
const shape = (page: { body: string; nonce: string }, uid: string) => page.body.replaceAll(page.nonce, 'NONCE').replaceAll(uid, 'UID');

describe('the interaction page kept in memory', () => {
  it('is rendered once, then answered with each request’s own nonce and uid, byte for byte as a rendering would be', async () => {
    behaviour = 'page';
    const before = renders;
    const [u1, u2, u3] = [uidOf(), uidOf(), uidOf()];
    const first = await load(u1);
    const second = await load(u2);
    const third = await load(u3);
    expect(renders - before).toBe(1);
    for (const [page, uid] of [[second, u2], [third, u3]] as const) {
      expect(page.status).toBe(200);
      expect(shape(page, uid)).toBe(shape(first, u1));
      expect(page.body.split(`nonce="${page.nonce}"`)).toHaveLength(3);
      expect(page.body).toContain(`\\"${uid}\\"`);
      // Nothing of the interaction that was rendered, nor of its nonce, reaches another.
      expect(page.body).not.toContain(u1);
      expect(page.body).not.toContain(first.nonce);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('vary')).toBe('rsc, next-router-state-tree');
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.headers.get('content-encoding')).toBeNull();
    }
    expect(second.nonce).not.toBe(third.nonce);
  });

  it('is kept per language (and per uid length)', async () => {
    behaviour = 'page';
    const before = renders;
    const english = await load(uidOf(), 'en');
    expect(english.body).toContain('<html lang="en">');
    await load(uidOf(), 'en');
    expect(renders - before).toBe(1);
    expect((await load(uidOf(), 'ja')).body).toContain('<html lang="ja">');
    expect(renders - before).toBe(1);
    await load(uidOf().slice(0, 30));
    expect(renders - before).toBe(2);
  });

  it('is not kept when the rendering was not a page that can be reused', async () => {
    for (const kind of ['not-found', 'no-nonce', 'cookie'] as const) {
      behaviour = kind;
      const before = renders;
      await load(uidOf());
      await load(uidOf());
      expect(renders - before, kind).toBe(2);
    }
    behaviour = 'page';
  });
});

describe('isPlainPageLoad', () => {
  const request = (method: string, url: string, headers: Record<string, string> = {}) => ({ method, url, headers }) as unknown as http.IncomingMessage;
  it('is a browser loading the page, nothing else', () => {
    expect(isPlainPageLoad(request('GET', '/interaction/abc'))).toBe(true);
    expect(isPlainPageLoad(request('HEAD', '/interaction/abc'))).toBe(false);
    expect(isPlainPageLoad(request('GET', '/interaction/abc?x=1'))).toBe(false);
    expect(isPlainPageLoad(request('GET', '/interaction/abc', { rsc: '1' }))).toBe(false);
    expect(isPlainPageLoad(request('GET', '/interaction/abc', { 'next-router-prefetch': '1' }))).toBe(false);
    expect(isPlainPageLoad(request('GET', '/interaction/abc', { 'next-action': 'x' }))).toBe(false);
  });
});
