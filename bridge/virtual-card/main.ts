/**
 * `npm run bridge:virtual-card -- --card hpki|jpki [--reader 0|1] [--pin 1234]`
 * Puts a virtual HPKI card or My Number Card into vpcd's virtual reader until Ctrl-C.
 * TEST AND DEMO ONLY: the demo's holder when `.data/demo-pki/` exists, else the test PKI's keys
 * kept in `.data/bridge/` (see material.ts).
 */
import { parseArgs } from 'node:util';
import { demoMaterial, loadOrCreateMaterial } from './material.ts';
import { VirtualCard } from './vpcd-card.ts';

const { values } = parseArgs({
  options: {
    card: { type: 'string', default: 'hpki' },
    reader: { type: 'string', default: '0' },
    pin: { type: 'string', default: '1234' },
    verbose: { type: 'boolean', default: false },
  },
});
const card = values.card;
if (card !== 'hpki' && card !== 'jpki') throw new Error('--card hpki|jpki');
const reader = values.reader === '1' ? 1 : 0;
const pin = values.pin!;
if (card === 'jpki' ? !/^[0-9]{4}$/.test(pin) : !/^[0-9]{4,16}$/.test(pin)) throw new Error('--pin: 4 digits (jpki) or 4–16 digits (hpki)');

const demo = demoMaterial(card);
const material = demo ?? (await loadOrCreateMaterial(card));
if (demo) console.log(`using the demo's holder from ${demo.file}`);
else console.log(`${'created' in material && material.created ? 'created' : 'using'} ${material.file} (test PKI; CA certificates beside it)`);
const virtual = new VirtualCard({ card, pin, ...material }, { reader, log: values.verbose ? (l) => console.log(l) : undefined });
await virtual.insert();
console.log(`virtual ${card === 'hpki' ? 'HPKI card' : 'My Number Card'} inserted in "Virtual PCD 00 0${reader}" (PIN ${pin}); Ctrl-C removes it`);
process.on('SIGINT', () => void virtual.remove().then(() => process.exit(0)));
process.on('SIGTERM', () => void virtual.remove().then(() => process.exit(0)));
