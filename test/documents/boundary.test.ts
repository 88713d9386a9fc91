import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// documents/ sits below signaling: it renders, signs, verifies and counts prints, and knows nothing
// of who asks, over which transport, or which database holds its index (those are the host's,
// through the storage ports DocumentIndex and PrintLedger).
const ROOT = path.resolve(import.meta.dirname, '../../documents');

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && /\.(ts|js|mts|cts)$/.test(e.name)).map((e) => path.join(e.parentPath, e.name));
}

/** Every module specifier a source file imports or re-exports (static and dynamic). */
function specifiers(source: string): string[] {
  const found = [...source.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  return [...new Set(found)];
}

describe('documents/ package boundary', () => {
  it('declares no dependency on signaling, web-client, infra, express or redis', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    const declared = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'].flatMap((k) => Object.keys(pkg[k] ?? {}));
    expect(declared.length).toBeGreaterThan(0);
    expect(declared.filter((d) => /^@rvw\/(signaling|web-client|infra)$|^express|^redis$|^@redis\//.test(d))).toEqual([]);
  });

  it('imports nothing of signaling (nor of web-client or infra), no HTTP framework, no Redis client, and no file outside its package', async () => {
    const files = await sources(path.join(ROOT, 'src'));
    expect(files.length).toBeGreaterThan(20);
    const offending: string[] = [];
    for (const file of files) {
      const dir = path.dirname(file);
      for (const spec of specifiers(await readFile(file, 'utf8'))) {
        const outside = spec.startsWith('.') && !path.resolve(dir, spec).startsWith(ROOT + path.sep);
        if (/^@rvw\/(signaling|web-client|infra)(\/|$)/.test(spec) || /^(express|express-rate-limit|redis|@redis\/.*|ws)$/.test(spec) || outside) {
          offending.push(`${path.relative(ROOT, file)} → ${spec}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });

  it('the check itself catches an import of signaling', () => {
    // The regexes above must see through the forms an import can take.
    const forms = ["import { AppError } from '@rvw/signaling/errors/AppError';", "export type { RedisClient } from '@rvw/signaling/store/redisClient';", "const m = await import('@rvw/signaling');"];
    expect(forms.map((f) => specifiers(f)[0])).toEqual(['@rvw/signaling/errors/AppError', '@rvw/signaling/store/redisClient', '@rvw/signaling']);
  });
});
