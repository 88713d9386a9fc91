import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Principal } from '@rvw/signaling/auth/Principal';
import { BlobStore } from '@rvw/signaling/blobs/BlobStore';
import { CaseService } from '@rvw/signaling/cases/CaseService';
import type { CaseNotification } from '@rvw/signaling/cases/CaseNotification';
import { CatalogStore } from '@rvw/signaling/catalog/CatalogStore';
import { seedDemoCatalog, type DemoCatalog } from '@rvw/signaling/catalog/seedDemoCatalog';
import { AppError } from '@rvw/signaling/errors/AppError';
import { connectRedis, type RedisClient } from '@rvw/signaling/store/redisClient';
import type { ArchivedCases } from '@rvw/signaling/cases/CaseStore';
import { startTestArchive, type TestArchive } from '../harness/archive';
import { startTestRedis, type TestRedis } from '../harness/redis';

/** Item codes of the demo catalogue. */
export const ITEMS = {
  pension: '000117005000',
  certificate: '000117013000',
  transfer: '000117009000',
  housingFund: '000121004000',
} as const;

/** Completes 17 digits with the GB 11643 check character. */
export function idNumber(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * (weights[i] as number), 0);
  return first17 + '10X98765432'[sum % 11];
}

/** An applicant from 霍邱 (as in the Xinhua story) living in 吴江. */
export const APPLICANT = { name: '陈添荣', idNumber: idNumber('34152219580312451'), phone: '13912345678' };

/** The 吴江 counter terminal. */
export const WUJIANG_COUNTER: Principal = {
  kind: 'counter',
  counterId: 'wujiang-kyth-01',
  hallId: 'wujiang-xzfwzx',
  regionCode: '320509',
  name: '跨域通办窗口 1 号',
};

/** The 霍邱 counter terminal. */
export const HUOQIU_COUNTER: Principal = {
  kind: 'counter',
  counterId: 'huoqiu-kyth-01',
  hallId: 'huoqiu-zwfwzx',
  regionCode: '341522',
  name: '跨域通办窗口 1 号',
};

/** A 霍邱 clerk assigned to the social-insurance items. */
export function huoqiuClerk(staffId = 'clerk-hq-1'): Extract<Principal, { role: 'clerk' }> {
  return {
    kind: 'staff',
    role: 'clerk',
    staffId,
    name: `霍邱受理员 ${staffId}`,
    regionCode: '341522',
    itemCodes: [ITEMS.pension, ITEMS.certificate, ITEMS.transfer],
  };
}

/** A fake clock starting Monday 2025-07-14 10:00 Beijing time. */
export function fakeClock(start = '2025-07-14T02:00:00.000Z'): { clock: () => Date; advance(seconds: number): void; set(iso: string): void } {
  let now = Date.parse(start);
  return {
    clock: () => new Date(now),
    advance(seconds) {
      now += seconds * 1000;
    },
    set(iso) {
      now = Date.parse(iso);
    },
  };
}

/** Everything a case test needs on one Redis connection. */
export interface CaseWorld {
  redis: RedisClient;
  catalog: CatalogStore;
  blobs: BlobStore;
  service: CaseService;
  demo: DemoCatalog;
  dataDir: string;
  published: CaseNotification[];
  close(): Promise<void>;
}

/**
 * Registers the test file's lifecycle: a private redis-server and a case world over it, started
 * before the tests and closed after them. Read `env.world` / `env.redis` inside tests.
 */
export function useCaseWorld(opts: { clock?: () => Date; archive?: boolean } = {}): { readonly world: CaseWorld; readonly redis: TestRedis; readonly archive: TestArchive } {
  const env = {} as { world: CaseWorld; redis: TestRedis; archive: TestArchive };
  beforeAll(async () => {
    env.redis = await startTestRedis();
    // With `archive`: a PostgreSQL case archive the world reads from, fed from its outbox.
    if (opts.archive) env.archive = await startTestArchive();
    env.world = await startCaseWorld(env.redis.url, { ...(opts.clock ? { clock: opts.clock } : {}), ...(env.archive ? { archive: env.archive.archive } : {}) });
    if (env.archive) await env.archive.feed(env.world.redis, env.world.service.store);
  });
  afterAll(async () => {
    await env.archive?.dispose();
    await env.world?.close();
    await env.redis?.dispose();
  });
  return env;
}

/** Connects, seeds the demo catalogue and builds a CaseService (service hours not enforced unless asked). */
export async function startCaseWorld(
  url: string,
  opts: { clock?: () => Date; enforceServiceHours?: boolean; dataDir?: string; archive?: ArchivedCases } = {},
): Promise<CaseWorld> {
  const redis = await connectRedis(url);
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'rvw-cases-')));
  const catalog = await CatalogStore.create({ redis });
  const demo = await seedDemoCatalog(catalog);
  const blobs = await BlobStore.create({ dataDir });
  const published: CaseNotification[] = [];
  const service = await CaseService.create({
    redis,
    catalog,
    blobs,
    publish: (e) => published.push(e),
    enforceServiceHours: opts.enforceServiceHours ?? false,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.archive ? { archive: opts.archive } : {}),
  });
  return {
    redis,
    catalog,
    blobs,
    service,
    demo,
    dataDir,
    published,
    async close() {
      redis.destroy();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Opens a pension case at the 吴江 counter and has a 霍邱 clerk accept it. */
export async function openAndAccept(world: CaseWorld, clerk: Principal = huoqiuClerk(), itemCode: string = ITEMS.pension): Promise<string> {
  const opened = await world.service.openCase(WUJIANG_COUNTER, { partnershipId: world.demo.partnershipId, itemCode, applicant: APPLICANT });
  await world.service.acceptCase(clerk, opened.id);
  return opened.id;
}

/** Every key in Redis with its full content, for "nothing was written" comparisons. */
export async function snapshotRedis(redis: RedisClient): Promise<Record<string, unknown>> {
  const keys = (await redis.keys('*')).sort();
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const type = await redis.type(key);
    switch (type) {
      case 'string':
        out[key] = await redis.get(key);
        break;
      case 'hash':
        out[key] = await redis.hGetAll(key);
        break;
      case 'zset':
        out[key] = await redis.zRangeWithScores(key, 0, -1);
        break;
      case 'set':
        out[key] = (await redis.sMembers(key)).sort();
        break;
      case 'list':
        out[key] = await redis.lRange(key, 0, -1);
        break;
      case 'stream':
        out[key] = await redis.xRange(key, '-', '+');
        break;
      default:
        out[key] = `<${type}>`;
    }
  }
  return out;
}

/** Every file under a directory (relative paths, sorted). */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** Awaits a promise that must reject with an AppError of this code; returns the error. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  return error as AppError;
}

/** Bytes that sniff as JPEG (a document-camera snapshot stand-in), distinct per seed. */
export function jpegBytes(seed: string, size = 4096): Buffer {
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i++) body[i] = (seed.charCodeAt(i % seed.length) * 31 + i) & 0xff;
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), body, Buffer.from([0xff, 0xd9])]);
}

/** Bytes that sniff as PNG (a signature stand-in). */
export function pngBytes(seed: string): Buffer {
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(`IHDR signature ${seed}`)]);
}
