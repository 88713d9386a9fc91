import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingStore } from '@rvw/signaling/recording/RecordingStore';
import { connectRedis, type RedisClient } from '@rvw/signaling/store/redisClient';
import { startTestRedis, type TestRedis } from '../harness/redis';

// RVW_RECORDING_RETENTION_DAYS: segment files older than the retention go; younger ones, and
// anything that is not a segment, stay.
describe('recorded segments past their retention', () => {
  let redis: TestRedis;
  let client: RedisClient;
  let dir: string;
  beforeAll(async () => {
    redis = await startTestRedis();
    client = await connectRedis(redis.url);
    dir = await mkdtemp(path.join(os.tmpdir(), 'rvw-rec-'));
  });
  afterAll(async () => {
    await client?.quit();
    await redis?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('the sweep deletes only segment files older than the retention', async () => {
    const store = new RecordingStore({ dataDir: dir, redis: client });
    const old = 'a'.repeat(64);
    const young = 'b'.repeat(64);
    await mkdir(path.join(dir, 'recordings'), { recursive: true });
    for (const sha of [old, young]) await writeFile(store.pathOf(sha), 'webm');
    await writeFile(path.join(dir, 'recordings', 'notes.txt'), 'kept');
    const now = Date.now();
    const days = (n: number) => new Date(now - n * 86_400_000);
    await utimes(store.pathOf(old), days(31), days(31));
    await utimes(store.pathOf(young), days(29), days(29));
    await utimes(path.join(dir, 'recordings', 'notes.txt'), days(400), days(400));
    expect(await store.sweep(30, now)).toEqual([{ sha256: old, caseId: undefined }]);
    expect((await readdir(path.join(dir, 'recordings'))).sort()).toEqual([`${young}.webm`, 'notes.txt']);
    expect(await store.has(old)).toBe(false);
    expect(await store.has(young)).toBe(true);
  });
});
