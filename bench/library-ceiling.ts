/**
 * The library ceiling (issue 18): bare `oidc-provider` with its in-memory adapter, the same client
 * (client_secret_basic, ES256 ID tokens, rotated refresh tokens) and the same refresh grant the
 * portal serves — so the portal's overhead over the library is a ratio, measured in the same run
 * by the same driver. Nothing of the portal is loaded: no database, no audit, no rate limits, no
 * login evidence, no service links.
 *
 * node --import tsx bench/library-ceiling.ts <stateFile> <tokensFile>  → prints `READY <port>`.
 */
import fs from 'node:fs';
import http from 'node:http';
import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';
import type { BenchState } from './seed.ts';

const [stateFile, tokensFile] = process.argv.slice(2);
const state = JSON.parse(fs.readFileSync(stateFile!, 'utf8')) as BenchState;
const TOKENS = 64;

const signing = await generateKeyPair('ES256', { extractable: true });
const server = http.createServer();
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as { port: number }).port;
const issuer = `http://127.0.0.1:${port}/oidc`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: state.client.id,
      client_secret: state.client.secret,
      redirect_uris: [state.client.redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
  ],
  jwks: { keys: [{ ...(await exportJWK(signing.privateKey)), alg: 'ES256', use: 'sig', kid: 'bench' }] },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  claims: { openid: ['sub'] },
  scopes: ['openid', 'offline_access'],
  issueRefreshToken: async () => true,
  rotateRefreshToken: true,
  features: { devInteractions: { enabled: false } },
  ttl: { AccessToken: 600, IdToken: 600, RefreshToken: 86_400, Grant: 86_400 },
});
provider.proxy = false;

// Refresh tokens minted as an authorization-code exchange would leave them (one grant each).
const client = await provider.Client.find(state.client.id);
if (!client) throw new Error('the bench client is not configured');
const tokens: string[] = [];
for (let i = 0; i < TOKENS; i++) {
  const accountId = `bench-${i}`;
  const grant = new provider.Grant({ accountId, clientId: state.client.id });
  grant.addOIDCScope('openid offline_access');
  const grantId = await grant.save();
  const refreshToken = new provider.RefreshToken({ client, accountId, grantId, scope: 'openid offline_access', gty: 'authorization_code', authTime: Math.floor(Date.now() / 1000), sessionUid: `s${i}` });
  tokens.push(await refreshToken.save());
}
fs.writeFileSync(tokensFile!, JSON.stringify(tokens));

// Mounted under /oidc like the portal's provider, so the driver's requests are the same.
const callback = provider.callback();
server.on('request', (req, res) => {
  if (!req.url?.startsWith('/oidc/')) return void res.writeHead(404).end();
  req.url = req.url.slice('/oidc'.length);
  callback(req, res);
});
console.log(`READY ${port}`);
