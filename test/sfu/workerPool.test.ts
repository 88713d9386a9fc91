// WorkerPool on real mediasoup workers: where routers are placed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_CODECS, WorkerPool } from '@rvw/sfu';

describe('WorkerPool: routers on the least-loaded worker', () => {
  let pool: WorkerPool;

  beforeAll(async () => {
    pool = await WorkerPool.create({ numWorkers: 2, respawn: false });
  });

  afterAll(() => pool?.close());

  const pidOf = (r: { appData: unknown }) => (r.appData as { workerPid: number }).workerPid;

  it('routers asked for at the same moment are spread over the workers, not piled on one', async () => {
    // A desk and a call created together (seen in CI: both on one worker).
    const routers = await Promise.all(Array.from({ length: 6 }, () => pool.createRouter({ mediaCodecs: MEDIA_CODECS })));
    const perWorker = new Map<number, number>();
    for (const r of routers) perWorker.set(pidOf(r), (perWorker.get(pidOf(r)) ?? 0) + 1);
    expect([...perWorker.values()]).toEqual([3, 3]);
    expect(pool.routerCount).toBe(6);
    for (const r of routers) r.close();
    expect(pool.routerCount).toBe(0);
  });

  it('a closed router frees its place: the next one goes where it was', async () => {
    const [a, b] = await Promise.all([pool.createRouter({ mediaCodecs: MEDIA_CODECS }), pool.createRouter({ mediaCodecs: MEDIA_CODECS })]);
    expect(pidOf(a!)).not.toBe(pidOf(b!));
    a!.close();
    const c = await pool.createRouter({ mediaCodecs: MEDIA_CODECS });
    expect(pidOf(c)).toBe(pidOf(a!));
    b!.close();
    c.close();
  });
});
