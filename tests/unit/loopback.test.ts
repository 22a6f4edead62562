import { describe, expect, it } from 'vitest';
import { isLoopbackAddress, isLoopbackUrl } from '../../src/config/loopback.ts';

describe('loopback addresses', () => {
  it('127.0.0.0/8 and ::1, also IPv4-mapped', () => {
    for (const a of ['127.0.0.1', '127.255.255.254', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) expect(isLoopbackAddress(a), a).toBe(true);
  });
  it('nothing else', () => {
    for (const a of ['128.0.0.1', '10.0.0.1', '192.0.2.2', '::', '::ffff:10.0.0.1', 'fe80::1', 'localhost', '', undefined, '127.0.0.1.example', '1.127.0.0']) {
      expect(isLoopbackAddress(a), String(a)).toBe(false);
    }
  });
  it('URLs: localhost names and loopback literals', () => {
    expect(isLoopbackUrl('http://LOCALHOST:3000/')).toBe(true);
    expect(isLoopbackUrl('http://[::1]/')).toBe(true);
    expect(isLoopbackUrl('http://127.0.0.2/')).toBe(true);
    expect(isLoopbackUrl('http://localhost.evil.example/')).toBe(false);
    expect(isLoopbackUrl('http://0x7f000001/')).toBe(true); // WHATWG URL normalises it to 127.0.0.1
    expect(isLoopbackUrl('https://sso.example.jp/')).toBe(false);
  });
});
