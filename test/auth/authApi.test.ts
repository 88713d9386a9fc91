import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { authCookies } from '@rvw/signaling/auth/authCookies';
import { authKeys } from '@rvw/signaling/auth/authKeys';
import { hashToken } from '@rvw/signaling/auth/hashToken';
import { RevocationBus, type RevocationEvent } from '@rvw/signaling/auth/RevocationBus';
import { silentLogger } from '@rvw/signaling/observability/logger';
import { startTestRedis, type TestRedis } from '../harness/redis';
import { ApiClient, tokenOf } from './apiClient';
import { startAuthTestServer, type AuthTestServer } from './authTestServer';
import { SoftAuthenticator } from './softAuthenticator';

let redis: TestRedis;
let srv: AuthTestServer;
let base: string;

/** A browser on our origin. */
const browser = () => new ApiClient(base, srv.origin);

/** Signed-in admin of '*', created through the real bootstrap invite. */
let root: ApiClient;
let rootKey: SoftAuthenticator;
/** Signed-in admins of A and of B. */
let adminA: ApiClient;
let adminB: ApiClient;
let adminAKey: SoftAuthenticator;
let adminBKey: SoftAuthenticator;

async function inviteAndSignIn(inviter: ApiClient, body: unknown, name: string): Promise<{ client: ApiClient; key: SoftAuthenticator; staffId: string }> {
  const inv = await inviter.call<{ url: string }>('POST', '/api/admin/invites', body);
  expect(inv.status, JSON.stringify(inv.error)).toBe(201);
  const client = browser();
  const key = new SoftAuthenticator(srv.origin);
  const enrolled = await client.enrol(key, tokenOf(inv.data.url), name);
  expect(enrolled.status, JSON.stringify(enrolled.error)).toBe(201);
  const login = await client.signIn(key);
  expect(login.status, JSON.stringify(login.error)).toBe(200);
  return { client, key, staffId: enrolled.data.staffId };
}

beforeAll(async () => {
  redis = await startTestRedis();
  srv = await startAuthTestServer({ redisUrl: redis.url });
  base = `http://127.0.0.1:${srv.port}`;
  const boot = await srv.auth.ensureBootstrapInvite();
  if (!boot) throw new Error('no bootstrap invite on an empty store');
  root = browser();
  rootKey = new SoftAuthenticator(srv.origin);
  expect((await root.enrol(rootKey, tokenOf(boot.url), '省级管理员')).status).toBe(201);
  expect((await root.signIn(rootKey)).status).toBe(200);
  ({ client: adminA, key: adminAKey } = await inviteAndSignIn(root, { role: 'admin', regionCodes: ['A'] }, '甲管理员'));
  ({ client: adminB, key: adminBKey } = await inviteAndSignIn(root, { role: 'admin', regionCodes: ['B'] }, '乙管理员'));
});

// Tests move the clock by hours: every test starts with fresh admin sessions.
beforeEach(async () => {
  for (const [client, key] of [
    [root, rootKey],
    [adminA, adminAKey],
    [adminB, adminBKey],
  ] as const) {
    client.jar.clear();
    expect((await client.signIn(key)).status).toBe(200);
  }
});

afterAll(async () => {
  await srv?.close();
  await redis?.dispose();
});

describe('bootstrap invite', () => {
  it('exists only while no enabled admin exists; the first admin is a provincial (*) admin', async () => {
    expect(await srv.auth.ensureBootstrapInvite()).toBeUndefined();
    const me = await root.call<{ principal: { role: string; regionCodes: string[] } }>('GET', '/api/auth/me');
    expect(me.data.principal).toMatchObject({ role: 'admin', regionCodes: ['*'] });
  });

  it('a re-printed bootstrap link voids the previous one; a second bootstrap enrolment is refused once an admin exists', async () => {
    const redis2 = await startTestRedis();
    const other = await startAuthTestServer({ redisUrl: redis2.url });
    try {
      const c = new ApiClient(`http://127.0.0.1:${other.port}`, other.origin);
      const first = await other.auth.ensureBootstrapInvite();
      const second = await other.auth.ensureBootstrapInvite();
      const third = await other.auth.ensureBootstrapInvite();
      expect(first && second && third).toBeTruthy();
      const stale = await c.call('POST', '/api/auth/invites/inspect', { token: tokenOf(first!.url) });
      expect([stale.status, stale.error?.code]).toEqual([404, 'AUTH_INVITE_INVALID']);
      // Options for the live link, then another admin appears via a different route: the bootstrap must now be closed.
      const keyA = new SoftAuthenticator(other.origin);
      const opt = await c.call<{ options: PublicKeyCredentialCreationOptionsJSON }>('POST', '/api/auth/register/options', { token: tokenOf(third!.url), name: '甲' });
      expect(opt.status).toBe(200);
      await other.redis.sAdd(authKeys.admins(), 'someone-else');
      const res = await c.call('POST', '/api/auth/register/verify', { token: tokenOf(third!.url), response: keyA.register(opt.data.options) });
      expect([res.status, res.error?.code]).toEqual([409, 'AUTH_BOOTSTRAP_CLOSED']);
    } finally {
      await other.close();
      await redis2.dispose();
    }
  });
});

describe('invites', () => {
  it('an expired invite is refused with AUTH_INVITE_EXPIRED', async () => {
    const inv = await adminA.call<{ url: string; expiresAt: number }>('POST', '/api/admin/invites', { role: 'clerk', regionCode: 'A', itemCodes: ['X'] });
    expect(inv.data.expiresAt - srv.clock.now()).toBeGreaterThan(71 * 3600_000);
    const c = browser();
    srv.clock.advance(72 * 3600_000 + 1000);
    const res = await c.enrol(new SoftAuthenticator(srv.origin), tokenOf(inv.data.url));
    expect([res.status, res.error?.code]).toEqual([410, 'AUTH_INVITE_EXPIRED']);
  });

  it('the atomic consume refuses an invite that expired between options and verify (Lua path)', async () => {
    const inv = await adminA.call<{ url: string }>('POST', '/api/admin/invites', { role: 'clerk', regionCode: 'A', itemCodes: ['X'] });
    const tokenHash = hashToken(tokenOf(inv.data.url));
    const outcome = await srv.auth.staff.commitEnrolment({
      inviteHash: tokenHash,
      now: srv.clock.now() + 73 * 3600_000,
      staffId: 'lua-expired',
      staff: { id: 'lua-expired', name: 'x', role: 'clerk', regionCode: 'A', itemCodes: ['X'], disabled: false, createdAt: 0, invitedBy: 't' },
      credential: { credentialId: 'lua-expired-cred', staffId: 'lua-expired', publicKey: 'AA', counter: 0, transports: [], createdAt: 0, revoked: false },
    });
    expect(outcome).toBe('AUTH_INVITE_EXPIRED');
    expect(await srv.auth.staff.getStaff('lua-expired')).toBeUndefined();
  });

  it('a used invite is refused with AUTH_INVITE_USED', async () => {
    const inv = await adminA.call<{ url: string }>('POST', '/api/admin/invites', { role: 'clerk', regionCode: 'A', itemCodes: ['X'] });
    const token = tokenOf(inv.data.url);
    expect((await browser().enrol(new SoftAuthenticator(srv.origin), token, '甲')).status).toBe(201);
    const again = await browser().enrol(new SoftAuthenticator(srv.origin), token, '乙');
    expect([again.status, again.error?.code]).toEqual([410, 'AUTH_INVITE_USED']);
  });

  it('two concurrent enrolments with one invite: exactly one succeeds (atomic consume)', async () => {
    const inv = await adminA.call<{ url: string }>('POST', '/api/admin/invites', { role: 'clerk', regionCode: 'A', itemCodes: ['X'] });
    const token = tokenOf(inv.data.url);
    const c1 = browser();
    const c2 = browser();
    const k1 = new SoftAuthenticator(srv.origin);
    const k2 = new SoftAuthenticator(srv.origin);
    const o1 = await c1.call<{ options: PublicKeyCredentialCreationOptionsJSON }>('POST', '/api/auth/register/options', { token, name: '一' });
    const o2 = await c2.call<{ options: PublicKeyCredentialCreationOptionsJSON }>('POST', '/api/auth/register/options', { token, name: '二' });
    const [r1, r2] = await Promise.all([
      c1.call('POST', '/api/auth/register/verify', { token, response: k1.register(o1.data.options) }),
      c2.call('POST', '/api/auth/register/verify', { token, response: k2.register(o2.data.options) }),
    ]);
    expect([r1.status, r2.status].sort()).toEqual([201, 410]);
    expect([r1.error?.code, r2.error?.code]).toContain('AUTH_INVITE_USED');
  });

  it('an admin may invite only into regions it manages; clerks and anonymous may not invite', async () => {
    const intoB = await adminA.call('POST', '/api/admin/invites', { role: 'clerk', regionCode: 'B', itemCodes: ['X'] });
    expect([intoB.status, intoB.error?.code]).toEqual([403, 'FORBIDDEN']);
    const star = await adminA.call('POST', '/api/admin/invites', { role: 'admin', regionCodes: ['*'] });
    expect([star.status, star.error?.code]).toEqual([403, 'FORBIDDEN']);
    const clerk = await inviteAndSignIn(adminA, { role: 'clerk', regionCode: 'A', itemCodes: ['X'] }, '甲窗口');
    const byClerk = await clerk.client.call('POST', '/api/admin/invites', { role: 'clerk', regionCode: 'A', itemCodes: ['X'] });
    expect([byClerk.status, byClerk.error?.code]).toEqual([403, 'FORBIDDEN']);
    const anon = await browser().call('POST', '/api/admin/invites', { role: 'clerk', regionCode: 'A', itemCodes: ['X'] });
    expect([anon.status, anon.error?.code]).toEqual([401, 'UNAUTHENTICATED']);
    const bad = await adminA.call('POST', '/api/admin/invites', { role: 'clerk', regionCode: 'A' });
    expect([bad.status, bad.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('an invite dies with its inviter: a disabled admin’s outstanding invite is void', async () => {
    const temp = await inviteAndSignIn(root, { role: 'admin', regionCodes: ['A'] }, '临时管理员');
    const inv = await temp.client.call<{ url: string }>('POST', '/api/admin/invites', { role: 'clerk', regionCode: 'A', itemCodes: ['X'] });
    expect((await root.call('POST', `/api/admin/staff/${temp.staffId}/disable`, {})).status).toBe(200);
    const res = await browser().enrol(new SoftAuthenticator(srv.origin), tokenOf(inv.data.url));
    expect([res.status, res.error?.code]).toEqual([404, 'AUTH_INVITE_INVALID']);
  });
});

describe('challenges', () => {
  it('a used login challenge cannot be replayed (AUTH_CHALLENGE_INVALID)', async () => {
    const c = browser();
    const opt = await c.call<{ options: PublicKeyCredentialRequestOptionsJSON }>('POST', '/api/auth/login/options', {});
    const response = rootKey.authenticate(opt.data.options);
    expect((await c.call('POST', '/api/auth/login/verify', { response })).status).toBe(200);
    const replay = await browser().call('POST', '/api/auth/login/verify', { response });
    expect([replay.status, replay.error?.code]).toEqual([400, 'AUTH_CHALLENGE_INVALID']);
  });

  it('a used registration challenge cannot be replayed, and an unknown one is refused', async () => {
    const inv = await adminA.call<{ url: string }>('POST', '/api/admin/invites', { role: 'clerk', regionCode: 'A', itemCodes: ['X'] });
    const token = tokenOf(inv.data.url);
    const c = browser();
    const opt = await c.call<{ options: PublicKeyCredentialCreationOptionsJSON }>('POST', '/api/auth/register/options', { token, name: '甲' });
    const response = new SoftAuthenticator(srv.origin).register(opt.data.options);
    expect((await c.call('POST', '/api/auth/register/verify', { token, response })).status).toBe(201);
    const replay = await c.call('POST', '/api/auth/register/verify', { token, response });
    expect([replay.status, replay.error?.code]).toEqual([400, 'AUTH_CHALLENGE_INVALID']);
    const forged = rootKey.authenticate({ challenge: 'bm90LWlzc3VlZC1ieS10aGUtc2VydmVy', rpId: 'localhost' });
    const res = await c.call('POST', '/api/auth/login/verify', { response: forged });
    expect([res.status, res.error?.code]).toEqual([400, 'AUTH_CHALLENGE_INVALID']);
  });

  it('an expired challenge is refused (AUTH_CHALLENGE_INVALID)', async () => {
    const c = browser();
    const opt = await c.call<{ options: PublicKeyCredentialRequestOptionsJSON }>('POST', '/api/auth/login/options', {});
    srv.clock.advance(5 * 60_000 + 1);
    const res = await c.call('POST', '/api/auth/login/verify', { response: rootKey.authenticate(opt.data.options) });
    expect([res.status, res.error?.code]).toEqual([400, 'AUTH_CHALLENGE_INVALID']);
  });

  it('an assertion made for another origin is refused (AUTH_VERIFICATION_FAILED)', async () => {
    const c = browser();
    const evilKey = new SoftAuthenticator('https://evil.example');
    const inv = await adminA.call<{ url: string }>('POST', '/api/admin/invites', { role: 'clerk', regionCode: 'A', itemCodes: ['X'] });
    const opt = await c.call<{ options: PublicKeyCredentialCreationOptionsJSON }>('POST', '/api/auth/register/options', { token: tokenOf(inv.data.url), name: '甲' });
    const res = await c.call('POST', '/api/auth/register/verify', { token: tokenOf(inv.data.url), response: evilKey.register(opt.data.options) });
    expect([res.status, res.error?.code]).toEqual([400, 'AUTH_VERIFICATION_FAILED']);
  });
});

describe('sessions', () => {
  it('cookie attributes: HttpOnly, SameSite=Strict, Path=/, no Secure on http://localhost only', async () => {
    const c = browser();
    const login = await c.signIn(rootKey);
    const cookie = login.setCookies.find((s) => s.startsWith('rvw_sid='));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/i);
    expect(authCookies('https://rvw.gov.example').secure).toBe(true);
    expect(authCookies('http://rvw.gov.example').secure).toBe(true);
    expect(authCookies('http://127.0.0.1:8080').secure).toBe(false);
    // Redis holds only the hash of the session id.
    const sid = c.jar.get('rvw_sid')!;
    expect(await srv.redis.exists(authKeys.session(hashToken(sid)))).toBe(1);
    expect(await srv.redis.exists(authKeys.session(sid))).toBe(0);
  });

  it('an idle session expires (AUTH_SESSION_EXPIRED); activity slides the idle deadline', async () => {
    const c = browser();
    expect((await c.signIn(rootKey)).status).toBe(200);
    srv.clock.advance(29 * 60_000);
    expect((await c.call('GET', '/api/auth/me')).status).toBe(200);
    srv.clock.advance(29 * 60_000);
    expect((await c.call('GET', '/api/auth/me')).status).toBe(200);
    srv.clock.advance(30 * 60_000 + 1);
    const me = await c.call('GET', '/api/auth/me');
    expect([me.status, me.error?.code, me.error?.details?.reason]).toEqual([401, 'UNAUTHENTICATED', 'AUTH_SESSION_EXPIRED']);
    const again = await c.call('GET', '/api/auth/me');
    expect(again.error?.details?.reason).toBe('AUTH_SESSION_INVALID');
  });

  it('a session dies at the absolute timeout even when active', async () => {
    const c = browser();
    expect((await c.signIn(rootKey)).status).toBe(200);
    let steps = 0;
    let last = await c.call('GET', '/api/auth/me');
    while (last.status === 200 && steps < 50) {
      srv.clock.advance(20 * 60_000);
      steps += 1;
      last = await c.call('GET', '/api/auth/me');
    }
    expect(last.error?.details?.reason).toBe('AUTH_SESSION_EXPIRED');
    expect(steps).toBe(36); // 36 × 20 min = 12 h
  });

  it('signing in again ends the session the browser still had', async () => {
    const c = browser();
    await c.signIn(rootKey);
    const first = c.jar.get('rvw_sid')!;
    await c.signIn(rootKey);
    expect(c.jar.get('rvw_sid')).not.toBe(first);
    expect(await srv.redis.exists(authKeys.session(hashToken(first)))).toBe(0);
  });

  it('logout deletes the session', async () => {
    const c = browser();
    await c.signIn(rootKey);
    const sid = c.jar.get('rvw_sid')!;
    expect((await c.call('POST', '/api/auth/logout', {})).status).toBe(200);
    expect(await srv.redis.exists(authKeys.session(hashToken(sid)))).toBe(0);
    const stale = new ApiClient(base, srv.origin);
    stale.jar.set('rvw_sid', sid);
    expect((await stale.call('GET', '/api/auth/me')).error?.details?.reason).toBe('AUTH_SESSION_INVALID');
  });
});

describe('revocation', () => {
  it('disabling a clerk kills its sessions and sign-in at once and announces it on every node', async () => {
    const clerk = await inviteAndSignIn(adminA, { role: 'clerk', regionCode: 'A', itemCodes: ['X'] }, '被停用的窗口');
    const local: RevocationEvent[] = [];
    const remote: RevocationEvent[] = [];
    const off = srv.auth.onPrincipalRevoked((e) => local.push(e));
    const otherNode = await RevocationBus.create({ redis: srv.redis, logger: silentLogger() });
    otherNode.onPrincipalRevoked((e) => remote.push(e));
    try {
      const forbidden = await adminB.call('POST', `/api/admin/staff/${clerk.staffId}/disable`, {});
      expect([forbidden.status, forbidden.error?.code]).toEqual([403, 'FORBIDDEN']);
      expect((await clerk.client.call('GET', '/api/auth/me')).status).toBe(200);

      const res = await adminA.call('POST', `/api/admin/staff/${clerk.staffId}/disable`, {});
      expect(res.status).toBe(200);
      expect(local).toEqual([{ kind: 'staff', staffId: clerk.staffId, reason: 'staff.disabled' }]);
      await expect.poll(() => remote.length, { timeout: 15_000 }).toBe(1);
      expect(remote[0]).toEqual(local[0]);

      const me = await clerk.client.call('GET', '/api/auth/me');
      expect([me.status, me.error?.code, me.error?.details?.reason]).toEqual([401, 'UNAUTHENTICATED', 'AUTH_SESSION_INVALID']);
      const login = await browser().signIn(clerk.key);
      expect([login.status, login.error?.code]).toEqual([403, 'AUTH_STAFF_DISABLED']);
      const upgrade = srv.auth.authenticateUpgrade({ headers: { origin: srv.origin, cookie: clerk.client.cookieHeader } });
      await expect(upgrade).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    } finally {
      off();
      await otherNode.close();
    }
  });

  it('a session is refused even if its deletion was missed: the resolver re-checks staff and passkey', async () => {
    const clerk = await inviteAndSignIn(adminA, { role: 'clerk', regionCode: 'A', itemCodes: ['X'] }, '窗口');
    const cred = (await srv.auth.staff.listCredentials(clerk.staffId))[0]!;
    const { sessionId } = await srv.auth.sessions.createSession(clerk.staffId, cred.credentialId);
    await srv.auth.staff.revokeCredential(cred.credentialId, srv.clock.now());
    const p1 = await srv.auth.resolvePrincipal({ headers: { cookie: `rvw_sid=${sessionId}` } });
    expect(p1).toEqual({ kind: 'anonymous', reason: 'AUTH_CREDENTIAL_REVOKED' });
    const second = await srv.auth.sessions.createSession(clerk.staffId, cred.credentialId);
    await srv.auth.staff.disableStaff(clerk.staffId, srv.clock.now());
    const p2 = await srv.auth.resolvePrincipal({ headers: { cookie: `rvw_sid=${second.sessionId}` } });
    expect(p2).toEqual({ kind: 'anonymous', reason: 'AUTH_STAFF_DISABLED' });
  });

  it('revoking one passkey ends the sessions; that passkey is refused, another passkey of the same clerk still works', async () => {
    const clerk = await inviteAndSignIn(adminA, { role: 'clerk', regionCode: 'A', itemCodes: ['X'] }, '两把钥匙');
    // Second passkey via an invite for the existing staff member.
    const more = await adminA.call<{ url: string }>('POST', '/api/admin/invites', { staffId: clerk.staffId });
    expect(more.status).toBe(201);
    const key2 = new SoftAuthenticator(srv.origin);
    const add = await browser().enrol(key2, tokenOf(more.data.url));
    expect([add.status, add.data.staffId]).toEqual([201, clerk.staffId]);
    const creds = await srv.auth.staff.listCredentials(clerk.staffId);
    expect(creds).toHaveLength(2);
    const firstId = Buffer.from(clerk.key.credentials[0]!.id).toString('base64url');

    const byB = await adminB.call('POST', `/api/admin/credentials/${firstId}/revoke`, {});
    expect([byB.status, byB.error?.code]).toEqual([403, 'FORBIDDEN']);
    const res = await adminA.call('POST', `/api/admin/credentials/${firstId}/revoke`, {});
    expect(res.status).toBe(200);
    const me = await clerk.client.call('GET', '/api/auth/me');
    expect(me.status).toBe(401);
    const login = await browser().signIn(clerk.key);
    expect([login.status, login.error?.code]).toEqual([401, 'AUTH_CREDENTIAL_REVOKED']);
    const other = browser();
    const login2 = await other.signIn(key2);
    expect(login2.status).toBe(200);
    expect(login2.data.redirect).toBe('/clerk.html');
  });

  it('an unknown passkey is refused (AUTH_CREDENTIAL_UNKNOWN) and a cloned (counter not increased) one too', async () => {
    const stranger = new SoftAuthenticator(srv.origin);
    stranger.register({ challenge: 'AAAA', rp: { name: 'x', id: 'localhost' }, user: { id: 'eA', name: 'x', displayName: 'x' }, pubKeyCredParams: [] });
    const res = await browser().signIn(stranger);
    expect([res.status, res.error?.code]).toEqual([401, 'AUTH_CREDENTIAL_UNKNOWN']);
    const clerk = await inviteAndSignIn(adminA, { role: 'clerk', regionCode: 'A', itemCodes: ['X'] }, '克隆');
    clerk.key.credentials[0]!.counter = 0; // a clone still at an old counter
    const cloned = await browser().signIn(clerk.key);
    expect([cloned.status, cloned.error?.code]).toEqual([401, 'AUTH_VERIFICATION_FAILED']);
  });
});

describe('admin scoping', () => {
  it('an admin lists only staff entirely within its regions', async () => {
    const clerkA = await inviteAndSignIn(adminA, { role: 'clerk', regionCode: 'A', itemCodes: ['X'] }, '列表甲');
    const clerkB = await inviteAndSignIn(adminB, { role: 'clerk', regionCode: 'B', itemCodes: ['X'] }, '列表乙');
    const listA = await adminA.call<{ staff: { id: string; role: string; regionCode?: string; regionCodes?: string[]; credentials: unknown[] }[] }>('GET', '/api/admin/staff');
    const idsA = listA.data.staff.map((s) => s.id);
    expect(idsA).toContain(clerkA.staffId);
    expect(idsA).not.toContain(clerkB.staffId);
    for (const s of listA.data.staff) {
      expect(s.role === 'clerk' ? [s.regionCode] : s.regionCodes).toEqual(['A']);
    }
    expect(JSON.stringify(listA.data)).not.toMatch(/publicKey/);
    const listRoot = await root.call<{ staff: { id: string }[] }>('GET', '/api/admin/staff');
    expect(listRoot.data.staff.map((s) => s.id)).toEqual(expect.arrayContaining([clerkA.staffId, clerkB.staffId]));
    const byClerk = await clerkA.client.call('GET', '/api/admin/staff');
    expect([byClerk.status, byClerk.error?.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('an admin cannot disable itself or a provincial admin', async () => {
    const me = await adminA.call<{ principal: { staffId: string } }>('GET', '/api/auth/me');
    const self = await adminA.call('POST', `/api/admin/staff/${me.data.principal.staffId}/disable`, {});
    expect(self.error?.code).toBe('STAFF_SELF_DISABLE');
    const rootMe = await root.call<{ principal: { staffId: string } }>('GET', '/api/auth/me');
    const up = await adminA.call('POST', `/api/admin/staff/${rootMe.data.principal.staffId}/disable`, {});
    expect([up.status, up.error?.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('an admin cannot revoke its own last passkey (it could never sign in again)', async () => {
    const me = await adminA.call<{ principal: { staffId: string } }>('GET', '/api/auth/me');
    const list = await adminA.call<{ staff: { id: string; credentials: { credentialId: string; revoked: boolean }[] }[] }>('GET', '/api/admin/staff');
    const mine = list.data.staff.find((x) => x.id === me.data.principal.staffId)!;
    const live = mine.credentials.filter((c) => !c.revoked);
    expect(live).toHaveLength(1);
    const res = await adminA.call('POST', `/api/admin/credentials/${encodeURIComponent(live[0]!.credentialId)}/revoke`, {});
    expect([res.status, res.error?.code]).toEqual([409, 'STAFF_SELF_LOCKOUT']);
    expect((await adminA.call('GET', '/api/auth/me')).status).toBe(200);
  });
});

describe('counters', () => {
  it('register → activate (one-time link) → counter principal → revoke: immediate', async () => {
    const wrongRegion = await adminB.call('POST', '/api/admin/terminals', { counterId: 'ctr-1', hallId: 'H-A1', regionCode: 'A', name: '1号窗' });
    expect([wrongRegion.status, wrongRegion.error?.code]).toEqual([403, 'FORBIDDEN']);
    const mismatch = await adminA.call('POST', '/api/admin/terminals', { counterId: 'ctr-1', hallId: 'H-B1', regionCode: 'A', name: '1号窗' });
    expect(mismatch.error?.code).toBe('COUNTER_HALL_REGION_MISMATCH');
    const noHall = await adminA.call('POST', '/api/admin/terminals', { counterId: 'ctr-1', hallId: 'H-ZZ', regionCode: 'A', name: '1号窗' });
    expect(noHall.error?.code).toBe('HALL_NOT_FOUND');

    const reg = await adminA.call<{ deviceSecret: string; activationUrl: string; counter: { counterId: string } }>('POST', '/api/admin/terminals', {
      counterId: 'ctr-1',
      hallId: 'H-A1',
      regionCode: 'A',
      name: '1号窗',
    });
    expect(reg.status).toBe(201);
    expect(reg.data.activationUrl).toMatch(new RegExp(`^${srv.origin}/counter\\.html#activate=[A-Za-z0-9_-]{43}$`));
    const dup = await adminA.call('POST', '/api/admin/terminals', { counterId: 'ctr-1', hallId: 'H-A1', regionCode: 'A', name: '重复' });
    expect([dup.status, dup.error?.code]).toEqual([409, 'COUNTER_EXISTS']);

    const token = reg.data.activationUrl.split('#activate=')[1]!;
    const terminal = browser();
    const act = await terminal.call('POST', '/api/auth/counter/activate', { token });
    expect(act.status).toBe(200);
    const devCookie = act.setCookies.find((s) => s.startsWith('rvw_dev='));
    expect(devCookie).toMatch(/HttpOnly/i);
    expect(devCookie).toMatch(/SameSite=Strict/i);
    expect(devCookie).toMatch(/Max-Age=345\d{5}/); // 400 days
    const me = await terminal.call<{ principal: unknown }>('GET', '/api/auth/me');
    expect(me.data.principal).toEqual({ kind: 'counter', counterId: 'ctr-1', hallId: 'H-A1', regionCode: 'A', name: '1号窗' });
    const reuse = await browser().call('POST', '/api/auth/counter/activate', { token });
    expect([reuse.status, reuse.error?.code]).toEqual([400, 'AUTH_ACTIVATION_INVALID']);
    const wrongSecret = await browser().call('POST', '/api/auth/counter/activate', { counterId: 'ctr-1', deviceSecret: 'x'.repeat(43) });
    expect(wrongSecret.error?.code).toBe('AUTH_ACTIVATION_INVALID');
    const second = browser();
    expect((await second.call('POST', '/api/auth/counter/activate', { counterId: 'ctr-1', deviceSecret: reg.data.deviceSecret })).status).toBe(200);

    const listB = await adminB.call<{ counters: unknown[] }>('GET', '/api/admin/terminals');
    expect(listB.data.counters).toEqual([]);
    const listA = await adminA.call<{ counters: { counterId: string }[] }>('GET', '/api/admin/terminals');
    expect(listA.data.counters.map((c) => c.counterId)).toEqual(['ctr-1']);

    const events: RevocationEvent[] = [];
    const off = srv.auth.onPrincipalRevoked((e) => events.push(e));
    const revB = await adminB.call('POST', '/api/admin/terminals/ctr-1/revoke', {});
    expect([revB.status, revB.error?.code]).toEqual([403, 'FORBIDDEN']);
    expect((await adminA.call('POST', '/api/admin/terminals/ctr-1/revoke', {})).status).toBe(200);
    off();
    expect(events).toEqual([{ kind: 'counter', counterId: 'ctr-1', reason: 'counter.revoked' }]);
    for (const t of [terminal, second]) {
      const gone = await t.call('GET', '/api/auth/me');
      expect([gone.status, gone.error?.details?.reason]).toEqual([401, 'AUTH_DEVICE_INVALID']);
    }
    const reactivate = await browser().call('POST', '/api/auth/counter/activate', { counterId: 'ctr-1', deviceSecret: reg.data.deviceSecret });
    expect(reactivate.error?.code).toBe('AUTH_ACTIVATION_INVALID');
  });
});

describe('WebSocket upgrade authentication', () => {
  it('checks the Origin first, then the cookies', async () => {
    const c = browser();
    await c.signIn(rootKey);
    const cookie = c.cookieHeader;
    const up = srv.auth.authenticateUpgrade;
    await expect(up({ headers: { origin: 'https://evil.example', cookie } })).rejects.toMatchObject({ code: 'ORIGIN_NOT_ALLOWED', httpStatus: 403 });
    await expect(up({ headers: { cookie } })).rejects.toMatchObject({ code: 'ORIGIN_NOT_ALLOWED' });
    await expect(up({ headers: { origin: 'null', cookie } })).rejects.toMatchObject({ code: 'ORIGIN_NOT_ALLOWED' });
    await expect(up({ headers: { origin: `http://localhost:${srv.port + 1}`, cookie } })).rejects.toMatchObject({ code: 'ORIGIN_NOT_ALLOWED' });
    await expect(up({ headers: { origin: `https://localhost:${srv.port}`, cookie } })).rejects.toMatchObject({ code: 'ORIGIN_NOT_ALLOWED' });
    await expect(up({ headers: { origin: srv.origin } })).rejects.toMatchObject({ code: 'UNAUTHENTICATED', httpStatus: 401 });
    await expect(up({ headers: { origin: srv.origin, cookie: 'rvw_sid=forged-session-id-aaaaaaaaaaaaaaaaaaaa' } })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      details: { reason: 'AUTH_SESSION_INVALID' },
    });
    const principal = await up({ headers: { origin: srv.origin, cookie } });
    expect(principal).toMatchObject({ kind: 'staff', role: 'admin' });
  });
});

describe('HTTP hardening', () => {
  it('refuses a POST from a foreign Origin and answers malformed bodies with codes', async () => {
    const evil = new ApiClient(base, 'https://evil.example');
    const res = await evil.call('POST', '/api/auth/login/options', {});
    expect([res.status, res.error?.code]).toEqual([403, 'ORIGIN_NOT_ALLOWED']);
    const raw = await fetch(`${base}/api/auth/login/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    expect([raw.status, ((await raw.json()) as { error: { code: string } }).error.code]).toEqual([400, 'BAD_REQUEST']);
    const missing = await browser().call('POST', '/api/auth/login/verify', { response: { id: 'x' } });
    expect([missing.status, missing.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
    const nothing = await browser().call('GET', '/api/auth/nope');
    expect([nothing.status, nothing.error?.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('sends the CSP: self + ws to self, blob: media, no framing', async () => {
    const res = await fetch(`${base}/login.html`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain(`connect-src 'self' ws://localhost:${srv.port}`);
    expect(csp).toContain("media-src 'self' blob:");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  it('rate-limits sign-in attempts per client (RATE_LIMITED, 429)', async () => {
    const redis3 = await startTestRedis();
    const limited = await startAuthTestServer({ redisUrl: redis3.url, rateLimits: { login: { windowMs: 60_000, limit: 3 } } });
    try {
      const c = new ApiClient(`http://127.0.0.1:${limited.port}`, limited.origin);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await c.call('POST', '/api/auth/login/options', {})).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const last = await c.call('POST', '/api/auth/login/options', {});
      expect(last.error?.code).toBe('RATE_LIMITED');
      expect(await limited.redis.keys('auth:ratelimit:*')).toHaveLength(1);
    } finally {
      await limited.close();
      await redis3.dispose();
    }
  });
});
