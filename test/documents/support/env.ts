import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureDevPki } from '@rvw/infra/pki/ensureDevPki';
import { connectRedis, type RedisClient } from '@rvw/signaling/store/redisClient';
import { RedisDocumentIndex } from '@rvw/signaling/store/RedisDocumentIndex';
import { DocumentService, DocumentStore, FontCache, SignerRegistry, verifyPdf, type Timestamper, type VerifyVerdict } from '@rvw/documents';
import { startTestRedis, type TestRedis } from '../../harness/redis';
import { ISSUED_AT, PUBLIC_ORIGIN, REGIONS } from './fixtures';

const run = promisify(execFile);

/** Everything a documents test needs: dev PKI, an NSS DB trusting its CA, real Redis, store and service. */
export interface DocumentsEnv {
  dir: string;
  pkiDir: string;
  /** `sql:` NSS database directory that trusts the dev CA (for pdfsig). */
  nssDir: string;
  redis: RedisClient;
  testRedis: TestRedis;
  signers: SignerRegistry;
  store: DocumentStore;
  service: DocumentService;
  verify(bytes: Uint8Array): Promise<VerifyVerdict>;
  dispose(): Promise<void>;
}

/** Creates a private environment in a temp dir (call `dispose()` in afterAll). */
export async function createDocumentsEnv(options: { timestamper?: Timestamper } = {}): Promise<DocumentsEnv> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rvw-docs-'));
  const pkiDir = path.join(dir, 'pki');
  const nssDir = path.join(dir, 'nss');
  const [pki, testRedis] = await Promise.all([ensureDevPki({ pkiDir, regions: REGIONS }), startTestRedis()]);
  await mkdir(nssDir);
  await run('certutil', ['-N', '--empty-password', '-d', `sql:${nssDir}`]);
  await run('certutil', ['-A', '-n', 'rvw-ca', '-t', 'CT,C,C', '-i', pki.caCertFile, '-d', `sql:${nssDir}`]);
  const redis = await connectRedis(testRedis.url);
  const signers = await SignerRegistry.load({ pkiDir });
  const store = new DocumentStore({ index: new RedisDocumentIndex(redis), dataDir: path.join(dir, 'data') });
  const service = await DocumentService.create({
    fontCache: await FontCache.load(),
    signers,
    store,
    publicOrigin: PUBLIC_ORIGIN,
    clock: () => ISSUED_AT,
    ...(options.timestamper ? { timestamper: options.timestamper } : {}),
  });
  return {
    dir,
    pkiDir,
    nssDir,
    redis,
    testRedis,
    signers,
    store,
    service,
    verify: (bytes) => verifyPdf(bytes, { trustAnchors: signers.trustAnchors, store }),
    async dispose() {
      await redis.quit().catch(() => undefined);
      await testRedis.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
