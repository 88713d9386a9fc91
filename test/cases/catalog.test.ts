import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogStore } from '@rvw/signaling/catalog/CatalogStore';
import type { Partnership } from '@rvw/protocol/catalog';
import { createCatalogRouter } from '@rvw/signaling/catalog/createCatalogRouter';
import { seedDemoCatalog } from '@rvw/signaling/catalog/seedDemoCatalog';
import { AppError } from '@rvw/signaling/errors/AppError';
import { connectRedis, type RedisClient } from '@rvw/signaling/store/redisClient';
import { startTestRedis, type TestRedis } from '../harness/redis';
import { ITEMS, expectCode, snapshotRedis } from './fixtures';

let redis: TestRedis;
let client: RedisClient;
let catalog: CatalogStore;

beforeAll(async () => {
  redis = await startTestRedis();
  client = await connectRedis(redis.url);
  catalog = await CatalogStore.create({ redis: client });
});

afterAll(async () => {
  client?.destroy();
  await redis?.dispose();
});

describe('catalogue', () => {
  it('seeds the 吴江↔霍邱 demo idempotently', async () => {
    const first = await seedDemoCatalog(catalog);
    const counts = await catalog.counts();
    const snapshot = await snapshotRedis(client);
    expect(counts).toEqual({ region: 2, hall: 2, counter: 2, item: 4, partnership: 1 });
    expect(await seedDemoCatalog(catalog)).toEqual(first);
    expect(await catalog.counts()).toEqual(counts);
    expect(await snapshotRedis(client)).toEqual(snapshot);

    expect(await catalog.require('region', '320509')).toEqual({ code: '320509', name: '苏州市吴江区', province: '江苏省' });
    const p = await catalog.require('partnership', first.partnershipId);
    expect(p.offers.find((o) => o.servingRegion === '341522')?.itemCodes).toContain(ITEMS.pension);
    expect((await catalog.require('item', ITEMS.certificate)).issuedDocuments).toEqual(['payment_certificate']);
    expect((await catalog.require('item', ITEMS.pension)).materials.map((m) => m.name)).toEqual(
      expect.arrayContaining(['居民身份证', '户口簿', '银行卡或存折', '死亡证明或其他证明材料']),
    );

    // An administrator's edit survives the next start's seeding.
    await catalog.replace('partnership', { ...p, active: false });
    await seedDemoCatalog(catalog);
    expect((await catalog.require('partnership', p.id)).active).toBe(false);
    await catalog.replace('partnership', p);
  });

  it('refuses missing references, duplicates, invalid data and deleting what is in use — without writing', async () => {
    await seedDemoCatalog(catalog);
    const p = await catalog.require('partnership', 'wujiang-huoqiu');
    const before = await snapshotRedis(client);

    await expectCode(catalog.insert('hall', { id: 'hefei-hall', regionCode: '340100', name: '合肥市政务服务中心', address: '合肥市' }), 'CATALOG_REGION_NOT_FOUND');
    await expectCode(catalog.insert('counter', { id: 'c-x', hallId: 'no-hall', name: '窗口' }), 'CATALOG_HALL_NOT_FOUND');
    const missingItem: Partnership = { ...p, id: 'wujiang-huoqiu-2', offers: [{ servingRegion: '341522', applicantRegion: '320509', itemCodes: ['999999999999'] }] };
    const e = await expectCode(catalog.insert('partnership', missingItem), 'CATALOG_ITEM_NOT_FOUND');
    expect(e.details).toEqual({ kind: 'item', id: '999999999999' });
    await expectCode(catalog.insert('partnership', { ...p, id: 'x-y', regions: ['320509', '110101'] }), 'VALIDATION_FAILED'); // offers outside the pair
    await expectCode(catalog.insert('partnership', { ...p, id: 'x-y', regions: ['320509', '110101'], offers: [{ servingRegion: '110101', applicantRegion: '320509', itemCodes: [ITEMS.pension] }] }), 'CATALOG_REGION_NOT_FOUND');
    await expectCode(catalog.insert('region', { code: '320509', name: '苏州市吴江区', province: '江苏省' }), 'CATALOG_DUPLICATE');
    await expectCode(catalog.insert('region', { code: '32050', name: '吴江', province: '江苏省' }), 'VALIDATION_FAILED');
    await expectCode(catalog.insert('item', { ...(await catalog.require('item', ITEMS.pension)), code: 'NEW000000001', promisedDays: 30 }), 'VALIDATION_FAILED');
    await expectCode(catalog.replace('hall', { id: 'nope', regionCode: '320509', name: '不存在', address: '无此地址' }), 'CATALOG_HALL_NOT_FOUND');
    const inUse = await expectCode(catalog.remove('item', ITEMS.pension), 'CATALOG_IN_USE');
    expect(inUse.details?.usedBy).toEqual(['partnership:wujiang-huoqiu']);
    await expectCode(catalog.remove('region', '320509'), 'CATALOG_IN_USE');
    await expectCode(catalog.remove('hall', 'no-such-hall'), 'CATALOG_HALL_NOT_FOUND');
    expect(await snapshotRedis(client)).toEqual(before);

    // Once the partnership no longer lists it, the item can go — and the reference index follows.
    const transfer = await catalog.require('item', ITEMS.transfer);
    await catalog.replace('partnership', { ...p, offers: p.offers.map((o) => ({ ...o, itemCodes: o.itemCodes.filter((c) => c !== ITEMS.transfer) })) });
    await catalog.remove('item', ITEMS.transfer);
    expect(await catalog.get('item', ITEMS.transfer)).toBeUndefined();
    await catalog.insert('item', transfer);
    await catalog.replace('partnership', p);
    expect(await snapshotRedis(client)).toEqual(before);
  });

  it('serves the admin API with zod-validated bodies, authorization by region and JSON errors', async () => {
    await seedDemoCatalog(catalog);
    const calls: string[][] = [];
    const app = express();
    app.use(
      createCatalogRouter({
        catalog,
        authorizeAdmin: (req, regionCodes) => {
          const who = req.header('x-test-admin');
          if (!who) throw new AppError('UNAUTHENTICATED', '请先登录', 401);
          calls.push(regionCodes);
          const manages = who.split(',');
          if (!regionCodes.every((r) => manages.includes(r))) throw new AppError('FORBIDDEN', '无权管理该地区', 403);
        },
        adminSees: async (req) => {
          const manages = (req.header('x-test-admin') ?? '').split(',');
          return (regionCode) => manages.includes(regionCode);
        },
      }),
    );
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/admin`;
    const call = async (method: string, path: string, body?: unknown, admin = '320509,341522') => {
      const res = await fetch(base + path, {
        method,
        headers: { 'content-type': 'application/json', ...(admin ? { 'x-test-admin': admin } : {}) },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as { ok: boolean; data?: unknown; error?: { code: string; message: string } } };
    };
    try {
      expect(await call('GET', '/regions', undefined, '')).toMatchObject({ status: 401, body: { ok: false, error: { code: 'UNAUTHENTICATED' } } });
      const regions = await call('GET', '/regions');
      expect(regions.status).toBe(200);
      expect((regions.body.data as { code: string }[]).map((r) => r.code)).toEqual(['320509', '341522']);

      const hall = { id: 'pingwang-bmfwzx', regionCode: '320509', name: '平望镇便民服务中心', address: '苏州市吴江区平望镇' };
      expect(await call('POST', '/halls', hall, '341522')).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
      expect(await call('POST', '/halls', hall, '320509')).toEqual({ status: 201, body: { ok: true, data: hall } });
      expect(await call('POST', '/halls', hall, '320509')).toMatchObject({ status: 409, body: { error: { code: 'CATALOG_DUPLICATE' } } });
      expect(await call('POST', '/halls', { ...hall, id: 'Bad Id' })).toMatchObject({ status: 400, body: { ok: false, error: { code: 'VALIDATION_FAILED' } } });
      expect(await call('POST', '/halls', '{"id":')).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
      expect(await call('POST', '/halls', '{"id":', '')).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHENTICATED' } } });
      expect(await call('POST', '/counters', { id: 'pingwang-01', hallId: hall.id, name: '跨域通办窗口' }, '341522')).toMatchObject({ status: 403 });
      expect(await call('POST', '/counters', { id: 'pingwang-01', hallId: hall.id, name: '跨域通办窗口' }, '320509')).toMatchObject({ status: 201 });

      expect(await call('PUT', `/halls/${hall.id}`, { ...hall, id: 'other' })).toMatchObject({ status: 400, body: { error: { code: 'CATALOG_ID_MISMATCH' } } });
      const renamed = { regionCode: '320509', name: '平望便民服务中心', address: '苏州市吴江区平望镇' };
      expect(await call('PUT', `/halls/${hall.id}`, renamed, '320509')).toEqual({ status: 200, body: { ok: true, data: { id: hall.id, ...renamed } } });
      expect(await call('GET', `/halls/${hall.id}`)).toMatchObject({ status: 200, body: { data: { name: '平望便民服务中心' } } });
      expect(await call('DELETE', `/halls/${hall.id}`)).toMatchObject({ status: 409, body: { error: { code: 'CATALOG_IN_USE' } } });
      expect(await call('DELETE', '/counters/pingwang-01', undefined, '320509')).toEqual({ status: 200, body: { ok: true, data: { id: 'pingwang-01' } } });
      expect(await call('DELETE', `/halls/${hall.id}`, undefined, '320509')).toMatchObject({ status: 200 });
      expect(await call('GET', `/halls/${hall.id}`)).toMatchObject({ status: 404, body: { error: { code: 'CATALOG_HALL_NOT_FOUND' } } });

      // A partnership binds two regions' clerks: it needs an administrator of both.
      const p = (await call('GET', '/partnerships/wujiang-huoqiu')).body.data as Partnership;
      expect(await call('PUT', '/partnerships/wujiang-huoqiu', { ...p, active: false }, '320509')).toMatchObject({ status: 403 });
      expect(await call('PUT', '/partnerships/wujiang-huoqiu', { ...p, active: false })).toMatchObject({ status: 200, body: { data: { active: false } } });
      expect(await call('PUT', '/partnerships/wujiang-huoqiu', p)).toMatchObject({ status: 200, body: { data: { active: true } } });
      expect(calls).toContainEqual(['320509', '341522']);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
