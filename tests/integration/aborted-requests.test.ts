import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';

/** Issue 13 §23: a request whose client goes away mid-body is one log line, without a stack trace. */
let t: TestPortal;
const log: string[] = [];
beforeAll(async () => {
  t = await startTestPortal('aborted', { log: (line) => log.push(line) });
});
afterAll(() => t?.close());

/** Sends the headers and part of a body, then closes the connection. */
async function abortMidBody(path: string, contentType: string) {
  const port = Number(new URL(t.url).port);
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${contentType}\r\nContent-Length: 5000\r\n\r\n{"pass`);
  await new Promise((r) => setTimeout(r, 50));
  socket.destroy();
}

/** Waits until the log has a line about `path` (the abort is noticed asynchronously). */
async function lineAbout(path: string) {
  for (let i = 0; i < 100; i++) {
    const found = log.filter((l) => l.includes(path));
    if (found.length) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  return [];
}

describe('aborted request bodies', () => {
  for (const [path, type] of [
    ['/api/register/AAAAAAAAAAAAAAAAAAAAAA/password', 'application/json'],
    ['/portal/backchannel-logout', 'application/x-www-form-urlencoded'],
    ['/api/register/BBBBBBBBBBBBBBBBBBBBBB/passkey', 'application/json'],
  ] as const) {
    it(`${path}: one line, no stack trace`, async () => {
      await abortMidBody(path, type);
      const lines = await lineAbout(path);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toBe(`request aborted by the client: POST ${path}`);
      expect(lines[0]).not.toMatch(/\n\s+at /);
    });
  }
});
