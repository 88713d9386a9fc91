// Development PKI setup: `npx tsx infra/pki/setup.ts [--pki-dir DIR] [--region CODE=NAME ...] [--tsa]`
// Creates (idempotently) the dev CA and one signing certificate per region; prints one JSON line.
// Without --pki-dir the configured RVW_PKI_DIR (default <data>/pki) is used.
import { parseArgs } from 'node:util';
import { loadConfig } from '@rvw/signaling/config';
import { ensureDevPki, type DevRegion } from './ensureDevPki.js';
import { ensureDevTsa } from './ensureDevTsa.js';

// Two regions of a typical 跨域通办 partnership (Anhui labour-export county ↔ Jiangsu city).
const DEFAULT_REGIONS: DevRegion[] = [
  { code: '341522', name: '霍邱县政务服务管理局' },
  { code: '320583', name: '昆山市政务服务管理办公室' },
];

const { values } = parseArgs({
  options: {
    'pki-dir': { type: 'string' },
    region: { type: 'string', multiple: true },
    tsa: { type: 'boolean', default: false },
  },
});

const regions = values.region?.map((spec): DevRegion => {
  const [code, ...rest] = spec.split('=');
  const name = rest.join('=');
  if (!code || !name) throw new Error(`--region expects CODE=NAME, got ${JSON.stringify(spec)}`);
  return { code, name };
}) ?? DEFAULT_REGIONS;

const pkiDir = values['pki-dir'] ?? loadConfig().pkiDir;
const pki = await ensureDevPki({ pkiDir, regions });
const tsa = values.tsa ? await ensureDevTsa({ pkiDir }) : undefined;
console.log(JSON.stringify({ ok: true, pkiDir: pki.pkiDir, ca: pki.caCertFile, regions: pki.regions, ...(tsa ? { tsa } : {}) }));
