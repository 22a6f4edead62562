import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';

export type HttpsRequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpsListenerOptions {
  /** 0 picks a free port (tests); read it back from `server.address()`. */
  port: number;
  host?: string;
  /** The server certificate, optionally followed by its intermediate CA certificates. */
  certificatePem: string;
  privateKeyPem: string;
  /**
   * CA certificates whose names the server lists in its CertificateRequest, so the browser offers
   * only matching certificates (e.g. the HPKI authentication CAs). Without it the browser offers all.
   * Listing a CA here does not make the listener reject anything.
   */
  clientCertificateIssuersPem?: string[];
  /** Told about a handler that threw instead of answering (the request then gets a bare 500). */
  onUnexpectedError?: (error: unknown) => void;
  /** Further http.Server options (timeouts). */
  serverOptions?: { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number };
}

/**
 * The portal's own HTTPS listener for login with the HPKI authentication certificate. It asks the
 * browser for a client certificate but never refuses the handshake: a missing, expired or untrusted
 * certificate must still reach the login page, which validates it and explains what is wrong.
 */
export function createHttpsServer(handler: HttpsRequestHandler, options: Omit<HttpsListenerOptions, 'port' | 'host'>): https.Server {
  return https.createServer(
    {
      ...options.serverOptions,
      cert: options.certificatePem,
      key: options.privateKeyPem,
      ca: options.clientCertificateIssuersPem?.length ? options.clientCertificateIssuersPem : undefined,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    (req, res) => {
      // The portal's handler answers every failure itself; this only keeps a bug from killing the process.
      Promise.resolve()
        .then(() => handler(req, res))
        .catch((error: unknown) => {
          options.onUnexpectedError?.(error);
          if (!res.headersSent) {
            res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
            res.end(JSON.stringify({ error: 'internal_error' }));
          } else {
            res.destroy();
          }
        });
    },
  );
}

/** Starts the listener; resolves once it accepts connections, rejects if the port cannot be bound. */
export function startHttpsListener(handler: HttpsRequestHandler, options: HttpsListenerOptions): Promise<https.Server> {
  const server = createHttpsServer(handler, options);
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(server);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options.port, options.host);
  });
}
