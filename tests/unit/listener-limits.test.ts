import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { applyListenerLimits, serverTimeouts } from '../../src/http/listener-limits.ts';

/** Issue 12 §5: header and body timeouts and a per-address connection cap, on a real listener. */
let server: http.Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

async function listen(limits: { headersTimeoutMs: number; requestTimeoutMs: number; maxConnectionsPerAddress: number }, exempt: string[] = []) {
  const refused: string[] = [];
  server = http.createServer(serverTimeouts(limits), (req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  applyListenerLimits(server, limits, { exempt, plaintext: true, onRefused: (a) => refused.push(a) });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, refused };
}

/** A raw connection that records what the server sends and when it closes. */
function connect(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (d) => (received += d));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const open = new Promise<void>((resolve) => socket.on('connect', () => resolve()));
  /** Resolves once the server has sent `count` responses on this connection. */
  const answers = (count: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if ((received.match(/HTTP\/1.1 \d{3}/g) ?? []).length >= count) resolve();
        else socket.once('data', check);
      };
      check();
    });
  return { socket, closed, open, answers, received: () => received };
}

describe('listener limits', () => {
  it('a connection over the per-address cap gets 503 with Retry-After and is closed; the others keep working', async () => {
    const { port, refused } = await listen({ headersTimeoutMs: 5000, requestTimeoutMs: 5000, maxConnectionsPerAddress: 3 });
    const held = [connect(port), connect(port), connect(port)];
    await Promise.all(held.map((c) => c.open));
    const fourth = connect(port);
    await fourth.closed;
    expect(fourth.received()).toMatch(/^HTTP\/1.1 503 .*\r\nRetry-After: 10/s);
    expect(refused).toEqual(['127.0.0.1']);
    held[0]!.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await held[0]!.answers(1);
    expect(held[0]!.received()).toMatch(/^HTTP\/1.1 200/);
    // A closed connection frees its place.
    held[1]!.socket.destroy();
    await held[1]!.closed;
    // The server sees the close a moment after the client: a new connection is answered once it has.
    let again = connect(port);
    for (let attempt = 0; attempt < 50; attempt++) {
      await again.open;
      again.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await again.answers(1);
      if (/^HTTP\/1.1 200/.test(again.received())) break;
      again = connect(port);
    }
    expect(again.received()).toMatch(/^HTTP\/1.1 200/);
  });

  it('a trusted proxy is not capped', async () => {
    const { port, refused } = await listen({ headersTimeoutMs: 5000, requestTimeoutMs: 5000, maxConnectionsPerAddress: 2 }, ['127.0.0.1']);
    const many = Array.from({ length: 6 }, () => connect(port));
    await Promise.all(many.map((c) => c.open));
    for (const c of many) c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await Promise.all(many.map((c) => c.answers(1)));
    expect(refused).toEqual([]);
    for (const c of many) expect(c.received()).toMatch(/^HTTP\/1.1 200/);
  });

  // No durations are asserted: without the timeouts these connections would stay open and the test
  // would run into vitest's own timeout.
  it('headers that never finish: 408, and the connection is closed', async () => {
    const { port } = await listen({ headersTimeoutMs: 1000, requestTimeoutMs: 3000, maxConnectionsPerAddress: 10 });
    const slow = connect(port);
    await slow.open;
    slow.socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    await slow.closed;
    expect(slow.received()).toMatch(/^HTTP\/1.1 408/);
  });

  it('a body that trickles: 408, and the connection is closed', async () => {
    const { port } = await listen({ headersTimeoutMs: 1000, requestTimeoutMs: 2000, maxConnectionsPerAddress: 10 });
    const slow = connect(port);
    await slow.open;
    slow.socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nab');
    const drip = setInterval(() => slow.socket.writable && slow.socket.write('a'), 200);
    await slow.closed;
    clearInterval(drip);
    expect(slow.received()).toMatch(/^HTTP\/1.1 408/);
  });

  it('an idle keep-alive connection outlives the headers timeout: the next request is answered', async () => {
    const { port } = await listen({ headersTimeoutMs: 500, requestTimeoutMs: 1000, maxConnectionsPerAddress: 10 });
    const client = connect(port);
    await client.open;
    client.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.answers(1);
    // Idle for longer than both timeouts (and two of the server's checks).
    await new Promise((r) => setTimeout(r, 2200));
    client.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.answers(2);
    expect(client.received().match(/HTTP\/1.1 200/g)).toHaveLength(2);
  });
});
