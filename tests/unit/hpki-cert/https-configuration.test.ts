import { describe, expect, it } from 'vitest';
import { readEnvironment } from '../../../src/config/environment.ts';

describe('HTTPS listener and client-certificate configuration', () => {
  it('has no HTTPS listener and the nginx header name by default', () => {
    const env = readEnvironment({});
    expect(env.httpsPort).toBeUndefined();
    expect(env.httpsCertFile).toBeUndefined();
    expect(env.httpsKeyFile).toBeUndefined();
    expect(env.clientCertProxyHeader).toBe('x-ssl-client-cert');
  });

  it('reads the port, resolves the files against the working directory and lower-cases the header', () => {
    const env = readEnvironment(
      { HTTPS_PORT: '3443', HTTPS_CERT_FILE: 'tls/server.pem', HTTPS_KEY_FILE: '/etc/portal/server.key', CLIENT_CERT_PROXY_HEADER: 'X-Client-Cert-Pem' },
      '/srv/portal',
    );
    expect(env.httpsPort).toBe(3443);
    expect(env.httpsCertFile).toBe('/srv/portal/tls/server.pem');
    expect(env.httpsKeyFile).toBe('/etc/portal/server.key');
    expect(env.clientCertProxyHeader).toBe('x-client-cert-pem');
  });

  it.each([
    [{ HTTPS_PORT: 'https' }, /HTTPS_PORT/],
    [{ HTTPS_PORT: '70000' }, /HTTPS_PORT/],
    [{ HTTPS_CERT_FILE: 'server.pem' }, /HTTPS_CERT_FILE and HTTPS_KEY_FILE/],
    [{ HTTPS_KEY_FILE: 'server.key' }, /HTTPS_CERT_FILE and HTTPS_KEY_FILE/],
    [{ CLIENT_CERT_PROXY_HEADER: 'X-Cert: injected' }, /CLIENT_CERT_PROXY_HEADER/],
  ])('refuses %o', (env, message) => {
    expect(() => readEnvironment(env)).toThrow(message);
  });
});
