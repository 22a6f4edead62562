// The one process: oidc-provider under /oidc, the portal's JSON endpoints, and Next.js for every page.
import 'reflect-metadata';
import http from 'node:http';
import next from 'next';
import { readEnvironment } from './src/config/environment.ts';
import { startPortal } from './src/portal/start-portal.ts';
import { createRequestHandler } from './src/http/request-handler.ts';
import fs from 'node:fs';
import { startHttpsListener } from './src/http/https-listener.ts';
import { applyListenerLimits, serverTimeouts } from './src/http/listener-limits.ts';
import { statementsSent } from './src/db/statement-count.ts';

const env = readEnvironment();
const dev = process.env.NODE_ENV !== 'production';
const log = (line: string) => console.log(`[portal] ${line}`);

const portal = await startPortal(env, log);
// src/demo is loaded only in demo mode (tests/integration/demo-lazy-loading.test.ts checks it).
if (env.demo) {
  const { seedDemoData } = await import('./src/demo/seed-demo-data.ts');
  await seedDemoData(portal, { printQr: !process.env.CI });
}

const app = next({ dev, dir: import.meta.dirname, hostname: 'localhost', port: env.port });
await app.prepare();
const handleNext = app.getRequestHandler();
// In production the login and consent page is rendered once per language (src/http/interaction-page-cache.ts).
const handler = createRequestHandler(portal, (req, res) => handleNext(req, res), { keepInteractionPage: !dev });
const server = http.createServer(serverTimeouts(env.http), handler);
// Header and body timeouts and a per-address connection cap, on both listeners (SPEC §12).
const refusedConnection = (ip: string) =>
  void portal.refusals.record({ event: 'security.connection_refused', result: 'failure', ip, errorCode: 'too_many_connections' }).catch(() => {});
applyListenerLimits(server, env.http, { exempt: env.trustedProxies, plaintext: true, onRefused: refusedConnection });

// The HPKI authentication certificate login: a listener that asks the browser for a client certificate.
let httpsServer: Awaited<ReturnType<typeof startHttpsListener>> | undefined;
if (env.httpsPort) {
  const files = env.httpsCertFile && env.httpsKeyFile
    ? { certificatePem: fs.readFileSync(env.httpsCertFile, 'utf8'), privateKeyPem: fs.readFileSync(env.httpsKeyFile, 'utf8') }
    : env.demo
      ? await (await import('./src/demo/demo-tls-files.ts')).loadOrCreateDemoServerCertificate(env.demoPkiDir, new URL(env.publicUrl).hostname)
      : undefined;
  if (!files) throw new Error('HTTPS_PORT needs HTTPS_CERT_FILE and HTTPS_KEY_FILE (a self-signed one is made only in demo mode)');
  httpsServer = await startHttpsListener(handler, {
    serverOptions: serverTimeouts(env.http),
    port: env.httpsPort,
    host: env.host,
    ...files,
    onUnexpectedError: (e) => log(`unexpected error on the HTTPS listener: ${(e as Error).stack ?? e}`),
  });
  applyListenerLimits(httpsServer, env.http, { exempt: env.trustedProxies, plaintext: false, onRefused: refusedConnection });
  log(`client-certificate login on ${env.hpkiCertOrigin}`);
}

server.listen(env.port, env.host, () => {
  log(`issuer ${env.issuer}`);
  log(`ready on ${env.publicUrl} (${dev ? 'development' : 'production'})`);
});

// `npm run bench` asks for the number of SQL statements sent so far before and after each run.
if (process.env.BENCH_STATEMENT_REPORT === '1') process.on('SIGUSR2', () => console.log(`[statements] ${statementsSent()}`));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    httpsServer?.close();
    httpsServer?.closeAllConnections();
    void portal.close().finally(() => process.exit(0));
  });
}
