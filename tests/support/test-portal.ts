import http from 'node:http';
import type https from 'node:https';
import { startHttpsListener } from '../../src/http/https-listener.ts';
import { createDemoServerCertificate } from '../../src/demo/demo-server-certificate.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { readEnvironment } from '../../src/config/environment.ts';
import { startPortal } from '../../src/portal/start-portal.ts';
import { createRequestHandler } from '../../src/http/request-handler.ts';
import type { Portal } from '../../src/portal/portal.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

/**
 * The portal's HTTP surface (oidc-provider, JSON endpoints) in the test process, on a database of
 * its own. Pages are answered by a stand-in that echoes the interaction view, instead of Next.js.
 */
export interface TestPortal {
  portal: Portal;
  url: string;
  /** The HTTPS listener's origin when started with `https: true`. */
  httpsUrl?: string;
  database: TestDatabase;
  close(): Promise<void>;
}

export interface TestPortalOptions {
  /** Share an existing database (several instances on one PostgreSQL). */
  databaseUrl?: string;
  keyEncryptionKey?: string;
  /** Further environment settings, e.g. HPKI_AUTO_ENROL. */
  env?: Record<string, string>;
  /** Also run the client-certificate HTTPS listener (demo server certificate, ephemeral port). */
  https?: boolean;
  /** Where the HTTP listener binds (default 127.0.0.1); e.g. 0.0.0.0 to be reached from another address. */
  host?: string;
  /** The process log (default: discarded). */
  log?: (line: string) => void;
}

export async function startTestPortal(label: string, options: TestPortalOptions = {}): Promise<TestPortal> {
  const databaseUrl = options.databaseUrl;
  const database = databaseUrl ? { url: databaseUrl, kind: 'postgres' as const, drop: async () => {} } : await createTestDatabase(label);
  const secrets = fs.mkdtempSync(path.join(os.tmpdir(), 'hpki-it-kek-'));
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> = async () => {};
  let httpsServer: https.Server | undefined;
  let httpsUrl: string | undefined;
  if (options.https) {
    const tls = await createDemoServerCertificate(['localhost']);
    httpsServer = await startHttpsListener((req, res) => handler(req, res), { port: 0, host: '127.0.0.1', ...tls });
    httpsUrl = `https://localhost:${(httpsServer.address() as AddressInfo).port}`;
  }
  const env = readEnvironment({
    PORT: String(port),
    PUBLIC_URL: `http://localhost:${port}`,
    DATABASE_URL: database.url,
    KEY_ENCRYPTION_KEY_FILE: path.join(secrets, 'kek'),
    // Each test portal anchors its audit chain in a file of its own, not in the working tree.
    AUDIT_CHECKPOINT_FILE: path.join(secrets, 'audit-checkpoints.jsonl'),
    ...(options.keyEncryptionKey ? { KEY_ENCRYPTION_KEY: options.keyEncryptionKey } : {}),
    DEMO: 'false',
    PRIVATE_FETCH_HOSTS: 'localhost',
    CRL_FETCH: 'false',
    ...(httpsUrl ? { HPKI_CERT_ORIGIN: httpsUrl } : {}),
    ...options.env,
  });
  const portal = await startPortal(env, options.log ?? (() => {}));
  // Pages are Next.js's in the real process; here a page answers with what the browser would show:
  // the login or consent page asks /interaction/<uid>/view with the browser's cookies, as its script does.
  handler = createRequestHandler(portal, async (req, res) => {
      const uid = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname)?.[1];
      const viewRes = uid ? await fetch(`http://localhost:${port}/interaction/${uid}/view`, { headers: { cookie: req.headers.cookie ?? '' } }) : undefined;
      const view = viewRes?.ok ? await viewRes.json() : null;
      res.writeHead(view ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ page: req.url, view }));
  });
  server.on('request', handler);
  return {
    portal,
    url: `http://localhost:${port}`,
    httpsUrl,
    database,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      httpsServer?.closeAllConnections();
      httpsServer?.close();
      await portal.close();
      await database.drop();
      fs.rmSync(secrets, { recursive: true, force: true });
    },
  };
}

/** What the jar sends requests with: the global fetch, or one bound to a client address (the flood run). */
export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/** A cookie jar for fetch: follows the portal's cookies across requests like a browser would. */
export class CookieJar {
  private cookies = new Map<string, string>();

  constructor(private readonly send: FetchLike = (url, init) => fetch(url, init)) {}

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1));
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const res = await this.send(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: this.header() } });
    this.store(res);
    return res;
  }
}
