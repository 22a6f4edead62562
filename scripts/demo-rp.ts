// npm run demo:rp [-- --port 3001 --portal http://localhost:3000] — the sample relying party
// registered by the demo data. Environment: DEMO_RP_PORT, PORTAL_URL (or PUBLIC_URL), ISSUER.
import { parseArgs } from 'node:util';
import { startSampleRelyingParty } from '../src/demo/sample-relying-party.ts';
import { DEMO_CLIENT, DEMO_EHR_CLIENT_ID } from '../src/demo/seed-demo-data.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    portal: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(`usage: npm run demo:rp -- [--port N] [--portal URL]
  --port    the RP's port (env DEMO_RP_PORT; default 3001); the demo data registers
            http://localhost:$DEMO_RP_PORT/callback: start the portal with the same DEMO_RP_PORT
  --portal  the portal's public URL (env PORTAL_URL, then PUBLIC_URL; default http://localhost:3000)
  ISSUER    overrides the issuer outright (default <portal>/oidc)`);
  process.exit(0);
}

// Empty variables count as unset.
const port = Number(values.port || process.env.DEMO_RP_PORT || DEMO_CLIENT.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`[demo-rp] not a port: ${values.port ?? process.env.DEMO_RP_PORT}`);
  process.exit(2);
}
const portal = (values.portal || process.env.PORTAL_URL || process.env.PUBLIC_URL || 'http://localhost:3000').replace(/\/+$/, '');
const issuer = process.env.ISSUER || `${portal}/oidc`;
if (port !== DEMO_CLIENT.port) {
  console.warn(`[demo-rp] port ${port}: the portal's demo data registers http://localhost:${DEMO_CLIENT.port}/callback unless it was started with DEMO_RP_PORT=${port} too (or add the callback in the admin console → services)`);
}
const rp = await startSampleRelyingParty({
  issuer,
  clientId: DEMO_CLIENT.clientId,
  clientSecret: DEMO_CLIENT.secret,
  port,
  ehr: { clientId: DEMO_EHR_CLIENT_ID },
});
console.log(`[demo-rp] open ${rp.url} and log in through ${issuer}; remote signing (EHR): ${rp.url}/ehr`);
