// npm run demo:rp — the sample relying party on http://localhost:3001, registered by the demo data.
import { startSampleRelyingParty } from '../src/demo/sample-relying-party.ts';
import { DEMO_CLIENT, DEMO_EHR_CLIENT_ID } from '../src/demo/seed-demo-data.ts';

const issuer = process.env.ISSUER ?? `${process.env.PUBLIC_URL ?? 'http://localhost:3000'}/oidc`;
const rp = await startSampleRelyingParty({
  issuer,
  clientId: DEMO_CLIENT.clientId,
  clientSecret: DEMO_CLIENT.secret,
  port: DEMO_CLIENT.port,
  ehr: { clientId: DEMO_EHR_CLIENT_ID },
});
console.log(`[demo-rp] open ${rp.url} and log in through ${issuer}; remote signing (EHR): ${rp.url}/ehr`);
