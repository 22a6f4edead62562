import { describe, expect, it } from 'vitest';
import { readEnvironment } from '../../src/config/environment.ts';

/** Issue 17 §6: the outbound proxy is read once at start-up (src/config/environment.ts). */
describe('outbound proxy configuration', () => {
  it('is direct when no proxy variable is set', () => {
    expect(readEnvironment({}).outboundProxy).toEqual({ httpProxy: undefined, httpsProxy: undefined, noProxy: undefined });
  });

  it('reads HTTPS_PROXY, HTTP_PROXY and NO_PROXY', () => {
    expect(readEnvironment({ HTTPS_PROXY: 'http://proxy.hospital.example:3128', HTTP_PROXY: 'http://proxy.hospital.example:8080', NO_PROXY: '.hospital.example,10.1.2.3' }).outboundProxy).toEqual({
      httpsProxy: 'http://proxy.hospital.example:3128',
      httpProxy: 'http://proxy.hospital.example:8080',
      noProxy: '.hospital.example,10.1.2.3',
    });
  });

  it('prefers the lower-case forms, as curl does, and treats an empty value as unset', () => {
    expect(readEnvironment({ https_proxy: 'http://a.example:3128', HTTPS_PROXY: 'http://b.example:3128', http_proxy: '', HTTP_PROXY: 'http://c.example:3128', no_proxy: 'lan' }).outboundProxy).toEqual({
      httpsProxy: 'http://a.example:3128',
      httpProxy: 'http://c.example:3128',
      noProxy: 'lan',
    });
  });

  it('reads host:port without a scheme as an http:// proxy, as curl does', () => {
    expect(readEnvironment({ HTTPS_PROXY: 'proxy.hospital.example:3128' }).outboundProxy.httpsProxy).toBe('http://proxy.hospital.example:3128');
  });

  it('refuses a proxy that is not an http(s) URL at start-up', () => {
    expect(() => readEnvironment({ HTTPS_PROXY: 'socks5://proxy.hospital.example:1080' })).toThrow(/Invalid configuration: HTTPS_PROXY: must be an http:\/\/ or https:\/\/ proxy URL/);
    expect(() => readEnvironment({ http_proxy: 'ftp://proxy.example' })).toThrow(/HTTP_PROXY/);
    expect(() => readEnvironment({ HTTP_PROXY: 'http://' })).toThrow(/HTTP_PROXY/);
  });
});
