import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '@rvw/infra/demo/LocalCluster';
import { freePort } from '@rvw/infra/redis/freePort';
import { CaseStore } from '@rvw/signaling/cases/CaseStore';
import { CatalogStore } from '@rvw/signaling/catalog/CatalogStore';
import { nodeKey } from '@rvw/signaling/cluster/NodeRegistry';
import { ApiClient, tokenOf } from '../auth/apiClient';
import { WsClient, WsRequestError } from '../harness/wsClient';
import { ITEM_X, PARTNERSHIP, applicant } from '../security/support/fixtures';
import { ensureServerBuilt } from '../harness/serverBuild';

// A real node process (`node signaling/dist/main.js`) configured with the sentinels only; a
// counter edits its case over the WebSocket protocol in a loop while the Redis primary is
// killed with SIGKILL. Every edit the node acknowledged must be in Redis afterwards, edits must
// resume by themselves, the event bus must deliver to a socket from before the failover, and the
// node's registry heartbeat must go on.
describe('a node on Redis Sentinel survives the loss of its primary', () => {
  let dir: string;
  let cluster: LocalCluster;
  let origin: string;
  let cookie: { name: string; value: string };

  beforeAll(async () => {
    await ensureServerBuilt();
    dir = await mkdtemp(path.join(os.tmpdir(), 'rvw-sentinel-node-'));
    // PostgreSQL runs as the postgres user (we are root): it must be able to reach the data directory's postgres/.
    await chmod(dir, 0o711);
    cluster = await LocalCluster.start({
      dataDir: dir,
      nodes: [{ id: 'wj', regions: ['*'], port: await freePort(), rtcPorts: [40000, 49999] }],
      downAfterMs: 1000,
      // Heartbeats often enough to see them continue within the test.
      env: { RVW_NODE_HEARTBEAT_MS: '300', RVW_NODE_TTL_MS: '10000', RVW_REDIS_ACK_TIMEOUT_MS: '1000', RVW_RECORDING: 'off' },
      ...(process.env.RVW_WEB_ROOT ? { webRoot: process.env.RVW_WEB_ROOT } : {}),
    });
    origin = cluster.nodes[0]!.url;
    // The production entry enforces the partnership's service hours; the test runs at any hour.
    const redis = await cluster.client();
    const catalog = await CatalogStore.create({ redis });
    const partnership = await catalog.require('partnership', PARTNERSHIP);
    await catalog.replace('partnership', { ...partnership, serviceHours: { ...partnership.serviceHours, weekdays: [1, 2, 3, 4, 5, 6, 7], windows: [{ start: '00:00', end: '23:59' }] } });
    await redis.quit();
    const activation = cluster.links.counterActivations.find((c) => c.label.includes('吴江'))!;
    const api = new ApiClient(origin, origin);
    const act = await api.call('POST', '/api/auth/counter/activate', { token: tokenOf(activation.url.replace('#activate=', '#')) });
    if (!act.ok) throw new Error(`counter activation failed: ${JSON.stringify(act.error)}`);
    cookie = { name: 'rvw_dev', value: api.jar.get('rvw_dev')! };
  }, 240_000);

  afterAll(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged case write, resumes writing, re-subscribes the event bus and keeps heartbeating', async () => {
    const writer = await WsClient.connect(origin, cookie);
    // Another socket of the counter, connected before the failover: it must hear changes made after it.
    const watcher = await WsClient.connect(origin, cookie);
    const created = await writer.request('queue.join', { partnershipId: PARTNERSHIP, itemCode: ITEM_X, applicant: applicant() });
    const caseId = created.id;
    let version = created.version;
    await watcher.request('case.get', { caseId });
    const acked: { version: number; value: string }[] = [];
    const refusals = new Map<string, number>();
    const oldPrimary = await cluster.redis.primaryPort();
    let killedAt = 0;
    let firstAfterKill = 0;

    for (let i = 0; i < 2000; i++) {
      if (i === 60) {
        await cluster.redis.kill9(oldPrimary);
        killedAt = Date.now();
      }
      const value = `write-${i}`;
      try {
        const updated = await withTimeout(writer.request('case.update', { caseId, expectedVersion: version, fields: { remark: value } }), 5000);
        version = updated.version;
        acked.push({ version, value });
        if (killedAt && !firstAfterKill) firstAfterKill = Date.now();
      } catch (e) {
        const code = e instanceof WsRequestError ? e.code : 'NO_ANSWER';
        refusals.set(code, (refusals.get(code) ?? 0) + 1);
        // A refused write may still have been applied: continue from the version Redis has.
        const current = e instanceof WsRequestError ? (e.details as { currentVersion?: number } | undefined)?.currentVersion : undefined;
        if (typeof current === 'number') version = current;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (firstAfterKill && acked.length >= 100 && Date.now() - firstAfterKill > 1000) break;
    }
    const failoverMs = firstAfterKill - killedAt;
    console.log(
      JSON.stringify({ test: 'sentinelNode', failover_ms: failoverMs, acknowledged: acked.length, refused: Object.fromEntries(refusals) }),
    );
    expect(killedAt).toBeGreaterThan(0);
    expect(firstAfterKill, 'writes resumed after the failover').toBeGreaterThan(0);
    expect(acked.length).toBeGreaterThanOrEqual(100);
    expect(await cluster.redis.primaryPort()).not.toBe(oldPrimary);

    // Every acknowledged write is on the new primary: its audit event by version, and the record at least that far.
    const redis = await cluster.client();
    try {
      const keys = CaseStore.keysOf(caseId);
      const events = await redis.xRange(keys.events, '-', '+');
      const bySeq = new Map((events ?? []).map((e) => [Number(e.message.seq), JSON.parse(e.message.event ?? '{}') as { data?: { fields?: Record<string, string> } }]));
      const lost = acked.filter((a) => !bySeq.has(a.version));
      expect(lost).toEqual([]);
      const record = JSON.parse((await redis.hGet(keys.record, 'doc')) ?? '{}') as { version: number };
      expect(record.version).toBeGreaterThanOrEqual(acked.at(-1)!.version);

      // The event bus re-subscribed on the new primary: a change made now reaches the socket from before.
      const now = await writer.request('case.update', { caseId, expectedVersion: version, fields: { remark: 'after-failover' } });
      const heard = await watcher.next((n) => n.type === 'case.changed' && n.caseId === caseId && n.version === now.version, 30_000);
      expect(heard).toMatchObject({ type: 'case.changed', version: now.version });

      // The node's registry heartbeat goes on after the failover.
      const seenAt = async () => (JSON.parse((await redis.get(nodeKey('wj'))) ?? '{}') as { seenAt?: number }).seenAt ?? 0;
      await expect.poll(seenAt, { timeout: 15_000 }).toBeGreaterThan(firstAfterKill);
    } finally {
      await redis.quit().catch(() => undefined);
      writer.close();
      watcher.close();
    }
  }, 180_000);

  it('refuses a case write no replica confirmed with REDIS_NOT_REPLICATED; the write itself happened, so a retry meets CASE_VERSION_CONFLICT', async () => {
    const writer = await WsClient.connect(origin, cookie);
    try {
      const created = await writer.request('queue.join', { partnershipId: PARTNERSHIP, itemCode: ITEM_X, applicant: applicant() });
      const replicas = await cluster.redis.replicaPorts();
      expect(replicas.length).toBeGreaterThan(0);
      for (const port of replicas) await cluster.redis.kill9(port);
      const edit = { caseId: created.id, expectedVersion: created.version, fields: { remark: 'unreplicated' } };
      const refused = await writer.request('case.update', edit).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(WsRequestError);
      expect(refused).toMatchObject({ code: 'REDIS_NOT_REPLICATED', message: '数据暂未同步到备用库，请稍后重试', details: { replicas: 0, required: 1 } });
      // Not acknowledged, yet applied on the primary: the same edit again is a stale version.
      const retry = await writer.request('case.update', edit).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(retry).toMatchObject({ code: 'CASE_VERSION_CONFLICT', details: { currentVersion: created.version + 1 } });
      const current = await writer.request('case.get', { caseId: created.id });
      expect(current).toMatchObject({ version: created.version + 1, fields: { remark: 'unreplicated' } });
    } finally {
      writer.close();
    }
  }, 60_000);
});

/** A request that neither succeeds nor fails within `ms` counts as not acknowledged. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);
}
