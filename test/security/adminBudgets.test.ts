import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegionalNode } from '@rvw/signaling/app/RegionalNode';
import { ApiClient, tokenOf } from '../auth/apiClient';
import { SoftAuthenticator } from '../auth/softAuthenticator';
import { startTestNode, type TestNode } from '../harness/testNode';

/*
 * The administrators' expensive routes (statistics, 办件档案, exports) have budgets per
 * administrator, counted in the Redis every node shares: two nodes are no way around them, and one
 * administrator spending its budget leaves another's untouched. Real node processes' HTTP stacks,
 * real Redis, real PostgreSQL (the archive).
 */

const EXPORTS_PER_HOUR = 2;
const QUERIES_PER_MINUTE = 5;
const RANGE = 'from=2026-01-01&to=2026-01-31';

describe('per-administrator budgets on statistics, archive and exports', () => {
  let t: TestNode;
  let second: RegionalNode;
  let other: string;

  beforeAll(async () => {
    t = await startTestNode({
      archive: true,
      env: { RVW_BUDGET_ADMIN_EXPORTS_PER_HOUR: String(EXPORTS_PER_HOUR), RVW_BUDGET_ADMIN_QUERIES_PER_MINUTE: String(QUERIES_PER_MINUTE) },
    });
    second = await t.startSecondNode();
    // A second administrator, enrolled through an invite with a passkey.
    const invite = await t.admin.call<{ url: string }>('POST', '/api/admin/invites', { role: 'admin', regionCodes: ['341522'] });
    if (!invite.ok) throw new Error(`invite failed: ${JSON.stringify(invite.error)}`);
    const api = new ApiClient(t.origin, t.origin);
    const key = new SoftAuthenticator(t.origin);
    const enrolled = await api.enrol(key, tokenOf(invite.data.url), '霍邱县管理员');
    if (!enrolled.ok) throw new Error('enrolment failed');
    const signedIn = await api.signIn(key);
    if (!signedIn.ok) throw new Error('sign-in failed');
    other = api.cookieHeader;
  });

  afterAll(async () => {
    await t?.dispose();
  });

  const get = async (origin: string, path: string, cookie: string) => {
    const res = await fetch(origin + path, { headers: { cookie, accept: 'application/json' } });
    const type = res.headers.get('content-type') ?? '';
    const body = type.includes('json') ? ((await res.json()) as { ok: boolean; error?: { code: string; message: string; details?: Record<string, unknown> } }) : undefined;
    return { status: res.status, type, body, retryAfter: res.headers.get('retry-after') };
  };

  it('refuses the third export of an hour across two nodes with BUDGET_EXCEEDED, and not another administrator’s', async () => {
    const admin = t.admin.cookieHeader;
    const exportPath = `/api/admin/stats/export?format=csv&kind=figures&${RANGE}`;
    const first = await get(t.origin, exportPath, admin);
    expect(first.status).toBe(200);
    expect(first.type).toContain('text/csv');
    expect((await get(second.url, exportPath, admin)).status).toBe(200);
    const third = await get(t.origin, exportPath, admin);
    expect(third.status).toBe(429);
    expect(third.body?.error).toMatchObject({ code: 'BUDGET_EXCEEDED', message: '本小时导出次数已达上限，请稍后再导出 (export budget)', details: { budget: 'adminExportsPerHour', limit: EXPORTS_PER_HOUR } });
    expect(Number(third.retryAfter)).toBeGreaterThan(0);
    expect((await get(second.url, exportPath, admin)).status).toBe(429);
    // Another administrator's budget is its own.
    expect((await get(second.url, exportPath, other)).status).toBe(200);
    // Counted for the monitoring system, on the node that refused.
    expect(await t.node.metrics.registry.getSingleMetricAsString('rvw_budget_refusals_total')).toContain('rvw_budget_refusals_total{budget="adminExportsPerHour"} 1');
  });

  it('shares one query budget between the statistics and the archive, on every node', async () => {
    const admin = t.admin.cookieHeader;
    const paths = [`/api/admin/stats?${RANGE}`, `/api/admin/cases?${RANGE}`, '/api/admin/cases/filters', `/api/admin/stats/live`, `/api/admin/cases?${RANGE}`];
    expect(paths).toHaveLength(QUERIES_PER_MINUTE);
    for (const [i, path] of paths.entries()) expect((await get(i % 2 ? second.url : t.origin, path, admin)).status, path).toBe(200);
    const refused = await get(second.url, `/api/admin/cases?${RANGE}`, admin);
    expect(refused.status).toBe(429);
    expect(refused.body?.error).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { budget: 'adminQueriesPerMinute' } });
    expect(refused.body?.error?.message).toBe('查询过于频繁，请稍等一分钟再试 (statistics/archive request budget)');
    expect((await get(t.origin, `/api/admin/stats?${RANGE}`, admin)).status).toBe(429);
    expect((await get(t.origin, `/api/admin/cases?${RANGE}`, other)).status).toBe(200);
    // Nobody signed in: refused as such, not counted against anyone.
    expect((await get(t.origin, `/api/admin/cases?${RANGE}`, '')).status).toBe(401);
  });
});
