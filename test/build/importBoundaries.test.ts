import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The dependency direction (docs/layout.md) is enforced by eslint.config.js: each forbidden
// import below, linted as if it were a file of that package, must fail with the boundary rule,
// and the allowed ones must pass.
const root = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function ruleIdsOf(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport const probe = x;\n`, { filePath: path.join(root, file) });
  return result!.messages.map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

describe('import boundaries', () => {
  it.each([
    ['documents/src/probe.ts', "import { x } from '@rvw/signaling/config';"],
    ['documents/src/probe.ts', "import { x } from '@rvw/web-client/call/CallClient';"],
    ['documents/src/probe.ts', "import { x } from '@rvw/infra/redis/RedisServer';"],
    ['signaling/src/probe.ts', "import { x } from '@rvw/web-client/build';"],
    ['signaling/src/app/probe.ts', "import { x } from '@rvw/infra/pki/ensureDevPki';"],
    ['sfu/src/probe.ts', "import { x } from '@rvw/signaling';"],
    ['sfu/src/probe.ts', "import { x } from '@rvw/documents/DocumentInput';"],
    ['protocol/src/probe.ts', "import { x } from '@rvw/sfu/SfuError';"],
    ['protocol/src/probe.ts', "import { x } from 'node:crypto';"],
    ['web-client/src/pages/probe.ts', "import { x } from '@rvw/signaling/cases/CaseStore';"],
    ['web-client/src/probe.ts', "import { x } from '@rvw/sfu/MediaSession';"],
    ['web-client/src/probe.ts', "import { x } from '@rvw/documents/DocumentInput';"],
  ])('%s: %s is refused', async (file, code) => {
    expect(await ruleIdsOf(file, code)).toEqual(['no-restricted-imports']);
  });

  it.each([
    ['documents/src/render/probe.ts', "import { x } from '../../../signaling/src/config.js';"],
    ['signaling/src/ws/probe.ts', "import { x } from '../../../web-client/src/call/CallClient';"],
    ['infra/demo/probe.ts', "export { x } from '../../signaling/src/config.js';"],
  ])('%s: %s (a relative import leaving its package) is refused', async (file, code) => {
    expect(await ruleIdsOf(file, code)).toEqual(['rvw/no-relative-outside-package']);
  });

  it.each([
    ['signaling/src/probe.ts', "import { x } from '@rvw/documents/DocumentInput';"],
    ['signaling/src/ws/handlers/probe.ts', "import { x } from '../../cases/CaseStore.js';"],
    ['infra/demo/probe.ts', "import { x } from '@rvw/signaling/config';"],
    ['web-client/src/probe.ts', "import { x } from '@rvw/protocol';"],
    ['test/probe.ts', "import { x } from '../bench/runBench';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await ruleIdsOf(file, code)).toEqual([]);
  });
});
