import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../harness/testNode';
import { enrolStaff, type EnrolledStaff } from '../security/support/fixtures';

const WUJIANG = '320509';
const HUOQIU = '341522';

// Pending invites are listed and revoked per region: an administrator sees and revokes only the
// invites for regions it manages; used invites and those of a disabled inviter are not pending.
describe('pending invites', () => {
  let t: TestNode;
  let wujiangAdmin: EnrolledStaff;
  let huoqiuAdmin: EnrolledStaff;

  beforeAll(async () => {
    t = await startTestNode();
    wujiangAdmin = await enrolStaff(t, { role: 'admin', regionCodes: [WUJIANG] }, '吴江管理员');
    huoqiuAdmin = await enrolStaff(t, { role: 'admin', regionCodes: [HUOQIU] }, '霍邱管理员');
  });
  afterAll(async () => {
    await t?.dispose();
  });

  type Listed = { invites: { id: string; scope?: { role: string; regionCode?: string; regionCodes?: string[] }; createdBy: string }[] };
  const list = async (who: { api: { call: EnrolledStaff['api']['call'] } }) => (await who.api.call<Listed>('GET', '/api/admin/invites')).data.invites;

  it('shows each administrator only the invites of its regions, and lets only them revoke', async () => {
    // The two admins were enrolled through invites: used, so not pending.
    expect(await list({ api: t.admin })).toEqual([]);
    expect((await huoqiuAdmin.api.call('POST', '/api/admin/invites', { role: 'clerk', regionCode: HUOQIU, itemCodes: ['000117005000'] })).status).toBe(201);
    expect((await wujiangAdmin.api.call('POST', '/api/admin/invites', { role: 'clerk', regionCode: WUJIANG, itemCodes: ['000121004000'] })).status).toBe(201);

    const mine = await list(huoqiuAdmin);
    expect(mine.map((i) => i.scope?.regionCode)).toEqual([HUOQIU]);
    expect((await list(wujiangAdmin)).map((i) => i.scope?.regionCode)).toEqual([WUJIANG]);
    // The provincial administrator sees both.
    expect((await list({ api: t.admin })).map((i) => i.scope?.regionCode).sort()).toEqual([WUJIANG, HUOQIU].sort());

    const huoqiuInvite = mine[0]!.id;
    const foreign = await wujiangAdmin.api.call('POST', `/api/admin/invites/${huoqiuInvite}/revoke`, {});
    expect({ status: foreign.status, code: foreign.error?.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
    expect((await list(huoqiuAdmin)).map((i) => i.id)).toEqual([huoqiuInvite]);
    const own = await huoqiuAdmin.api.call('POST', `/api/admin/invites/${huoqiuInvite}/revoke`, {});
    expect(own.status).toBe(200);
    expect(await list(huoqiuAdmin)).toEqual([]);
    expect(await t.node.redis.exists(`auth:invite:${huoqiuInvite}`)).toBe(0);
  });

  it('leaves out the invites of an administrator who was disabled (they no longer work)', async () => {
    expect((await list(wujiangAdmin)).length).toBe(1);
    const disabled = await t.admin.call('POST', `/api/admin/staff/${wujiangAdmin.staffId}/disable`, {});
    expect(disabled.status).toBe(200);
    expect(await list({ api: t.admin })).toEqual([]);
  });
});
