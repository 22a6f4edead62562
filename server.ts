// The one process: oidc-provider under /oidc, the portal's JSON endpoints, and Next.js for every page.
import 'reflect-metadata';
import http from 'node:http';
import next from 'next';
import { readEnvironment } from './src/config/environment.ts';
import { startPortal } from './src/portal/start-portal.ts';
import { createRequestHandler } from './src/http/request-handler.ts';
import { seedDemoData } from './src/demo/seed-demo-data.ts';

const env = readEnvironment();
const dev = process.env.NODE_ENV !== 'production';
const log = (line: string) => console.log(`[portal] ${line}`);

const portal = await startPortal(env, log);
if (env.demo) await seedDemoData(portal, { printQr: !process.env.CI });

const app = next({ dev, dir: import.meta.dirname, hostname: 'localhost', port: env.port });
await app.prepare();
const handleNext = app.getRequestHandler();
const server = http.createServer(createRequestHandler(portal, (req, res) => handleNext(req, res)));

server.listen(env.port, env.host, () => {
  log(`issuer ${env.issuer}`);
  log(`ready on ${env.publicUrl} (${dev ? 'development' : 'production'})`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    void portal.close().finally(() => process.exit(0));
  });
}
