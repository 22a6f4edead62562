// The portal's process without Next.js pages (oidc-provider and every JSON endpoint, as server.ts
// serves them): what the short fault test kills with SIGKILL, so it needs no production build.
import 'reflect-metadata';
import http from 'node:http';
import { readEnvironment } from '../../src/config/environment.ts';
import { startPortal } from '../../src/portal/start-portal.ts';
import { createRequestHandler } from '../../src/http/request-handler.ts';

const env = readEnvironment();
const portal = await startPortal(env, (line) => console.log(`[portal] ${line}`));
const server = http.createServer(
  createRequestHandler(portal, async (_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('no pages in this process');
  }),
);
server.listen(env.port, env.host, () => console.log(`[portal] ready on ${env.publicUrl} (API only)`));
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void portal.close().finally(() => process.exit(0));
});
