import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundFetch, isSpecialUseAddress, OutboundFetchError, proxyFromEnvironment } from '../../../src/net/outbound-fetch.ts';
import type { OutboundFetch, Resolver } from '../../../src/net/outbound-fetch.ts';

/** What a request ends in: the status and body, or the kind of OutboundFetchError. */
async function outcome(request: Promise<Response>): Promise<{ status: number; body: string } | { error: string }> {
  try {
    const response = await request;
    return { status: response.status, body: await response.text() };
  } catch (error) {
    if (error instanceof OutboundFetchError) return { error: error.kind };
    throw error;
  }
}

describe('outbound fetch', () => {
  let server: http.Server;
  let port: number;
  const seen: Array<{ url: string; host: string; method: string; body: string }> = [];
  const open: Array<http.ServerResponse> = [];
  const clients: OutboundFetch[] = [];
  const client = (options: Parameters<typeof createOutboundFetch>[0]) => {
    const made = createOutboundFetch({ proxy: {}, ...options });
    clients.push(made);
    return made;
  };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', host: req.headers.host ?? '', method: req.method ?? '', body });
        const url = req.url ?? '/';
        if (url === '/ok') return void res.end('hello');
        if (url === '/same-host') return void res.writeHead(302, { location: '/ok' }).end();
        if (url === '/see-other') return void res.writeHead(303, { location: '/ok' }).end();
        if (url === '/other-host') return void res.writeHead(302, { location: `http://127.0.0.1:${port}/ok` }).end();
        if (url === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
        if (url === '/big-declared') return void res.writeHead(200, { 'content-length': String(2 * 1024 * 1024) }).end(Buffer.alloc(2 * 1024 * 1024));
        if (url === '/big-chunked') {
          res.writeHead(200);
          for (let i = 0; i < 32; i++) res.write(Buffer.alloc(64 * 1024));
          return void res.end();
        }
        if (url === '/no-headers') return void open.push(res);
        if (url === '/stalled-body') {
          res.writeHead(200, { 'content-length': '100' });
          res.write('partial');
          return void open.push(res);
        }
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const res of open) res.destroy();
    await Promise.all(clients.map((c) => c.close()));
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  describe('destinations', () => {
    it('refuses loopback, private and other special-use destinations by default', async () => {
      const strict = client({});
      const before = seen.length;
      for (const url of [
        `http://127.0.0.1:${port}/ok`,
        `http://localhost:${port}/ok`,
        `http://[::1]:${port}/ok`,
        `http://[::ffff:127.0.0.1]:${port}/ok`,
        'http://169.254.169.254/latest/meta-data/',
        'http://10.1.2.3/crl',
        'http://192.168.0.1/crl',
        'http://100.64.0.1/crl',
        'http://[fd00::1]/crl',
        'http://[fe80::1]/crl',
        'http://0.0.0.0/crl',
      ]) {
        expect(await outcome(strict(url)), url).toEqual({ error: 'destination_refused' });
      }
      expect(seen.length).toBe(before);
    });

    it('reaches a private host named in the allow list (PRIVATE_FETCH_HOSTS)', async () => {
      const lan = client({ allowHosts: ['LOCALHOST'] });
      expect(await outcome(lan(`http://localhost:${port}/ok`))).toEqual({ status: 200, body: 'hello' });
      // The allow list names hosts: another name for the same address is not allowed by it.
      expect(await outcome(lan(`http://127.0.0.1:${port}/ok`))).toEqual({ error: 'destination_refused' });
    });

    it('checks the addresses the connection uses: a name that resolves to a private address is refused at connect', async () => {
      const loopback: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
      const before = seen.length;
      expect(await outcome(client({ resolve: loopback })(`http://crl.example:${port}/ok`))).toEqual({ error: 'destination_refused' });
      expect(seen.length).toBe(before);
      // One private address among public ones is enough to refuse.
      const mixed: Resolver = async () => [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.7', family: 4 }];
      expect(await outcome(client({ resolve: mixed })(`http://crl.example:${port}/ok`))).toEqual({ error: 'destination_refused' });
    });

    it('connects to the address it checked: one resolution serves both, so the name cannot change in between', async () => {
      const answers: string[] = [];
      const resolve: Resolver = async () => {
        answers.push('127.0.0.1');
        return [{ address: '127.0.0.1', family: 4 }];
      };
      expect(await outcome(client({ resolve, allowHosts: ['crl.lan.example'] })(`http://crl.lan.example:${port}/ok`))).toEqual({ status: 200, body: 'hello' });
      expect(seen.at(-1)?.host).toBe(`crl.lan.example:${port}`);
      expect(answers).toHaveLength(1);
    });

    it('reports a name that does not resolve, and refuses non-http URLs', async () => {
      const nowhere: Resolver = async () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));
      expect(await outcome(client({ resolve: nowhere })('http://crl.invalid/x.crl'))).toEqual({ error: 'dns_failed' });
      expect(await outcome(client({})('ftp://example.org/x.crl'))).toEqual({ error: 'invalid_url' });
      expect(await outcome(client({})('file:///etc/passwd'))).toEqual({ error: 'invalid_url' });
    });
  });

  describe('redirects', () => {
    it('follows a redirect to the same host', async () => {
      const lan = client({ allowHosts: ['localhost'] });
      const response = await lan(`http://localhost:${port}/same-host`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('hello');
      expect(response.url).toBe(`http://localhost:${port}/ok`);
      expect(response.redirected).toBe(true);
    });

    it('refuses a redirect to another host, even an allowed one', async () => {
      const lan = client({ allowHosts: ['localhost', '127.0.0.1'] });
      const before = seen.length;
      expect(await outcome(lan(`http://localhost:${port}/other-host`))).toEqual({ error: 'redirect_refused' });
      expect(seen.slice(before).map((s) => s.url)).toEqual(['/other-host']);
    });

    it('stops after the maximum number of redirects', async () => {
      expect(await outcome(client({ allowHosts: ['localhost'], maxRedirects: 2 })(`http://localhost:${port}/loop`))).toEqual({ error: 'too_many_redirects' });
    });

    it('honours redirect: error and manual, and turns a POST into a GET on 303', async () => {
      const lan = client({ allowHosts: ['localhost'] });
      expect(await outcome(lan(`http://localhost:${port}/same-host`, { redirect: 'error' }))).toEqual({ error: 'redirect_refused' });
      expect((await lan(`http://localhost:${port}/same-host`, { redirect: 'manual' })).status).toBe(302);
      const response = await lan(`http://localhost:${port}/see-other`, { method: 'POST', body: 'request', headers: { 'content-type': 'text/plain' } });
      expect(await response.text()).toBe('hello');
      expect(seen.slice(-2).map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual(['POST /see-other request', 'GET /ok ']);
    });
  });

  describe('bounds', () => {
    it('refuses a response that declares more than the limit', async () => {
      const lan = client({ allowHosts: ['localhost'], maxResponseBytes: 1024 * 1024 });
      expect(await outcome(lan(`http://localhost:${port}/big-declared`))).toEqual({ error: 'response_too_large' });
      expect((await lan(`http://localhost:${port}/big-declared`, { maxResponseBytes: 4 * 1024 * 1024 })).status).toBe(200);
    });

    it('cuts off a response without a length once it passes the limit, with an error', async () => {
      const response = await client({ allowHosts: ['localhost'], maxResponseBytes: 1024 * 1024 })(`http://localhost:${port}/big-chunked`);
      expect(response.status).toBe(200);
      const error = await response.arrayBuffer().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(OutboundFetchError);
      expect((error as OutboundFetchError).kind).toBe('response_too_large');
    });

    it('times out a server that never answers', async () => {
      expect(await outcome(client({ allowHosts: ['localhost'], timeoutMs: 200 })(`http://localhost:${port}/no-headers`))).toEqual({ error: 'timeout' });
    });

    it('times out a body that stops arriving', async () => {
      const response = await client({ allowHosts: ['localhost'], timeoutMs: 300 })(`http://localhost:${port}/stalled-body`);
      const error = await response.text().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as OutboundFetchError).kind).toBe('timeout');
    });
  });

  describe('proxy', () => {
    let proxy: http.Server;
    let proxyUrl: string;
    const proxied: string[] = [];
    beforeAll(async () => {
      // A forward proxy that answers for any absolute-form request (it is itself on a loopback address).
      proxy = http.createServer((req, res) => {
        proxied.push(req.url ?? '');
        res.end('via proxy');
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    });
    const publicName: Resolver = async (hostname) => [{ address: hostname.startsWith('internal') ? '10.0.0.5' : '8.8.8.8', family: 4 }];

    it('sends requests through the configured HTTP proxy, which may be a private address', async () => {
      const viaProxy = client({ proxy: { httpProxy: proxyUrl }, resolve: publicName });
      expect(await outcome(viaProxy('http://crl.example.org/auth.crl'))).toEqual({ status: 200, body: 'via proxy' });
      expect(proxied.at(-1)).toBe('http://crl.example.org/auth.crl');
    });

    it('still refuses a private destination before asking the proxy', async () => {
      const before = proxied.length;
      const viaProxy = client({ proxy: { httpProxy: proxyUrl }, resolve: publicName });
      expect(await outcome(viaProxy('http://internal.example.org/auth.crl'))).toEqual({ error: 'destination_refused' });
      expect(await outcome(viaProxy('http://10.0.0.5/auth.crl'))).toEqual({ error: 'destination_refused' });
      expect(proxied.length).toBe(before);
    });

    it('goes direct for NO_PROXY hosts', async () => {
      const before = proxied.length;
      const bypass = client({ proxy: { httpProxy: proxyUrl, noProxy: 'example.net, localhost' }, allowHosts: ['localhost'] });
      expect(await outcome(bypass(`http://localhost:${port}/ok`))).toEqual({ status: 200, body: 'hello' });
      expect(proxied.length).toBe(before);
    });

    it('reads HTTPS_PROXY, HTTP_PROXY and NO_PROXY in either case', () => {
      expect(proxyFromEnvironment({ HTTPS_PROXY: 'http://p:3128', http_proxy: 'http://q:3128', NO_PROXY: '.lan' })).toEqual({
        httpsProxy: 'http://p:3128',
        httpProxy: 'http://q:3128',
        noProxy: '.lan',
      });
      expect(proxyFromEnvironment({})).toEqual({ httpProxy: undefined, httpsProxy: undefined, noProxy: undefined });
    });
  });

  it('classifies special-use addresses (IANA registries)', () => {
    for (const address of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '100.64.0.1', '169.254.169.254', '0.0.0.0', '224.0.0.1', '255.255.255.255', '198.18.0.1', '192.0.2.1', '::1', '::', 'fc00::1', 'fd12::1', 'fe80::1', 'ff02::1', '::ffff:8.8.8.8', '2001:db8::1', '64:ff9b::7f00:1', 'not-an-ip']) {
      expect(isSpecialUseAddress(address), address).toBe(true);
    }
    for (const address of ['8.8.8.8', '93.184.216.34', '2606:4700::1111', '64:ff9b::808:808', '172.32.0.1', '100.128.0.1']) {
      expect(isSpecialUseAddress(address), address).toBe(false);
    }
  });
});
