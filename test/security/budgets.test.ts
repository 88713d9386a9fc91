import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaSession, SfuError, WorkerPool } from '@rvw/sfu';
import { freePort } from '@rvw/infra/redis/freePort';
import { toWireError } from '@rvw/signaling/ws/SignalingServer';
import { startTestNode, type TestNode } from '../harness/testNode';
import { HUOQIU, ITEM_CERT, ITEM_X, PARTNERSHIP, TINY_PNG_BASE64, applicant, opusRtpParameters } from './support/fixtures';
import { WsClient, refusedUpgrade, wsUrlOf, type WsResponse } from './support/wsClient';

// Budgets per principal (#12 F3, F4, F10, F11) on one real node with small budgets: what one
// counter terminal may hold or spend, whatever number of sockets it opens, and that its refusals
// (stable codes, counted in metrics) leave every other principal's service untouched.

const BUDGET_ENV = {
  RVW_BUDGET_SOCKETS_PER_PRINCIPAL: '4',
  RVW_BUDGET_REQUESTS_PER_SECOND: '20',
  RVW_BUDGET_REQUEST_BURST: '40',
  RVW_BUDGET_TRANSPORTS_PER_PEER: '3',
  RVW_BUDGET_TRANSPORTS_PER_SESSION: '5',
  RVW_BUDGET_TRANSPORTS_PER_PRINCIPAL: '8',
  RVW_BUDGET_CASES_WAITING_PER_COUNTER: '2',
  RVW_BUDGET_MATERIAL_MB_PER_CASE: '1',
};

let t: TestNode;
let counterCookie: string;
let clerkCookie: string;

/** Refusals counted under one budget label. */
async function refusals(budget: string): Promise<number> {
  const metric = await t.node.metrics.budgetRefusals.get();
  return metric.values.find((v) => v.labels.budget === budget)?.value ?? 0;
}

/** Waits until a principal's bucket (burst 40 at 20/s) is full again. */
const refill = () => new Promise((r) => setTimeout(r, 2100));

beforeAll(async () => {
  t = await startTestNode({ env: BUDGET_ENV });
  counterCookie = `rvw_dev=${(await t.counter('wujiang-kyth-01')).cookie.value}`;
  clerkCookie = `rvw_sid=${(await t.clerk(HUOQIU, [ITEM_X, ITEM_CERT], '霍邱窗口 预算')).cookie.value}`;
});

afterAll(async () => {
  await t?.dispose();
});

describe('sockets per principal (F4)', () => {
  it('a counter gets 4 sockets; the 5th upgrade is refused BUDGET_EXCEEDED, a clerk still connects, a closed socket frees its slot', async () => {
    const before = await refusals('socketsPerPrincipal');
    const mine = await Promise.all([1, 2, 3, 4].map(() => WsClient.connect(t.origin, counterCookie)));
    const refused = await refusedUpgrade(wsUrlOf(t.origin), { origin: t.origin, cookie: counterCookie });
    expect(refused.status).toBe(429);
    expect(refused.body?.error).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { budget: 'socketsPerPrincipal' } });
    expect(refused.body?.error?.message).toMatch(/连接过多/);
    expect(await refusals('socketsPerPrincipal')).toBe(before + 1);
    // Another principal is not affected.
    const clerk = await WsClient.connect(t.origin, clerkCookie);
    expect((await clerk.request('ping')).ok).toBe(true);
    // A closed socket gives its slot back.
    await mine[0]!.close();
    await new Promise((r) => setTimeout(r, 100));
    const again = await WsClient.connect(t.origin, counterCookie);
    expect((await again.request('ping')).ok).toBe(true);
    for (const c of [...mine, again, clerk]) await c.close();
  });
});

describe('requests per second per principal (F4)', () => {
  it('four sockets of one counter share one bucket: 200 pings get at most burst + rate·t answers; the clerk meanwhile is never limited', async () => {
    await refill();
    const before = await refusals('requestsPerSecond');
    const sockets = await Promise.all([1, 2, 3, 4].map(() => WsClient.connect(t.origin, counterCookie)));
    const clerk = await WsClient.connect(t.origin, clerkCookie);
    const started = Date.now();
    for (const s of sockets) for (let i = 0; i < 50; i++) s.socket.send(JSON.stringify({ id: i, type: 'ping' }));
    const clerkAnswers: WsResponse[] = [];
    for (let i = 0; i < 10; i++) clerkAnswers.push(await clerk.request('ping'));
    // Every frame is answered: ok, or RATE_LIMITED.
    const responses = (s: WsClient) => s.inbox.filter((m) => m.type === 'response').length;
    // A wait, not a bound (elapsed below is measured when the last answer came): 15 s for a loaded machine.
    const deadline = Date.now() + 15_000;
    while (sockets.some((s) => responses(s) < 50) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(sockets.map(responses)).toEqual([50, 50, 50, 50]);
    const elapsed = (Date.now() - started) / 1000;
    const answers = sockets.flatMap((s) => s.inbox.filter((m) => m.type === 'response'));
    const ok = answers.filter((m) => m.ok).length;
    const limited = answers.filter((m) => !m.ok && m.error?.code === 'RATE_LIMITED');
    expect(ok).toBeLessThanOrEqual(40 + Math.ceil(20 * elapsed) + 1);
    expect(limited.length).toBeGreaterThanOrEqual(100);
    expect(limited[0]?.error).toMatchObject({ details: { budget: 'requestsPerSecond' } });
    expect(limited[0]?.error?.message).toMatch(/请求过于频繁/);
    expect(clerkAnswers.every((a) => a.ok)).toBe(true);
    expect(await refusals('requestsPerSecond')).toBeGreaterThanOrEqual(before + limited.length);
    for (const c of [...sockets, clerk]) await c.close();
  });
});

describe('RTC ports: transports per peer, per session, per principal (F3)', () => {
  it('a queued counter pre-connects within its caps; more transports are refused BUDGET_EXCEEDED and another call still gets its ports', async () => {
    await refill();
    const counter = await WsClient.connect(t.origin, counterCookie);
    const second = await WsClient.connect(t.origin, counterCookie);
    const caseA = (await counter.call('queue.join', { partnershipId: PARTNERSHIP, itemCode: ITEM_X, applicant: applicant() })).id;
    const caseB = (await second.call('queue.join', { partnershipId: PARTNERSHIP, itemCode: ITEM_CERT, applicant: applicant() })).id;
    const create = (c: WsClient) => c.request('createWebRtcTransport', { direction: 'recv' });

    // Per peer: 3 (the fast call start needs 2: send and receive).
    await counter.call('session.join', { sessionId: caseA, peerId: 'counter-p1' });
    const p1 = await Promise.all([1, 2, 3, 4].map(() => create(counter)));
    expect(p1.filter((r) => r.ok)).toHaveLength(3);
    expect(p1.find((r) => !r.ok)?.error).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { budget: 'transportsPerPeer', limit: 3 } });

    // Per session: 5, whatever the number of peer ids.
    await second.call('session.join', { sessionId: caseA, peerId: 'counter-p2' });
    const p2 = await Promise.all([1, 2, 3].map(() => create(second)));
    expect(p2.filter((r) => r.ok)).toHaveLength(2);
    expect(p2.find((r) => !r.ok)?.error).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { budget: 'transportsPerSession' } });
    expect(t.node.registry.get(caseA)?.counts().transports).toBe(5);

    // Per principal: 8 across its sessions on the node.
    // (A socket is in one session at a time: joining another would leave the first.)
    const fourth = await WsClient.connect(t.origin, counterCookie);
    await fourth.call('session.join', { sessionId: caseB, peerId: 'counter-p3' });
    const p3 = await Promise.all([1, 2, 3].map(() => create(fourth)));
    expect(p3.filter((r) => r.ok)).toHaveLength(3);
    const third = await WsClient.connect(t.origin, counterCookie);
    await third.call('session.join', { sessionId: caseB, peerId: 'counter-p4' });
    const p4 = await create(third);
    expect(p4.error).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { budget: 'transportsPerPrincipal', limit: 8 } });
    expect(p4.error?.message).toMatch(/媒体通道已达上限/);
    expect(await refusals('transportsPerPrincipal')).toBeGreaterThanOrEqual(1);

    // Another principal's call is untouched: the clerk's desk gets its transports.
    const clerk = await WsClient.connect(t.origin, clerkCookie);
    await clerk.call('desk.join', { peerId: 'clerk-desk' });
    expect((await create(clerk)).ok).toBe(true);
    expect((await clerk.request('createWebRtcTransport', { direction: 'send' })).ok).toBe(true);

    // Leaving gives the ports back.
    await counter.call('session.leave', {});
    expect((await create(third)).ok).toBe(true);
    for (const c of [counter, second, third, fourth, clerk]) await c.close();
  });

  it('two concurrent produce(mic) on one peer: exactly one succeeds, the other is DUPLICATE_SOURCE (F10)', async () => {
    await refill();
    // Another terminal (霍邱's), with budgets of its own.
    const counter = await WsClient.connect(t.origin, `rvw_dev=${(await t.counter('huoqiu-kyth-01')).cookie.value}`);
    const caseId = (await counter.call('queue.join', { partnershipId: PARTNERSHIP, itemCode: ITEM_CERT, applicant: applicant() })).id;
    await counter.call('session.join', { sessionId: caseId, peerId: 'counter-race' });
    const send = await counter.call('createWebRtcTransport', { direction: 'send' });
    const answers = await Promise.all([
      counter.request('produce', { transportId: send.id, kind: 'audio', rtpParameters: opusRtpParameters(7001), source: 'mic' }),
      counter.request('produce', { transportId: send.id, kind: 'audio', rtpParameters: opusRtpParameters(7002), source: 'mic' }),
    ]);
    expect(answers.filter((a) => a.ok)).toHaveLength(1);
    expect(answers.find((a) => !a.ok)?.error?.code).toBe('DUPLICATE_SOURCE');
    expect(t.node.registry.get(caseId)?.ownProducers().filter((p) => p.peerId === 'counter-race')).toHaveLength(1);
    await counter.close();
  });
});

describe('RTC port exhaustion is an expected condition (F11)', () => {
  it('a worker whose port range is full answers RTC_PORTS_EXHAUSTED; the openDataChannel close race answers a stable code', async () => {
    const pool = await WorkerPool.create({ numWorkers: 1 });
    try {
      const minPort = await freePort();
      // Two ports: each transport takes one UDP and one TCP port of the range.
      const session = await MediaSession.create({ sessionId: 'ports', pool, listen: { listenIp: '127.0.0.1', minPort, maxPort: minPort + 1 } });
      const made: unknown[] = [];
      let failure: unknown;
      for (let i = 0; i < 6 && !failure; i++) {
        try {
          made.push(await session.createWebRtcTransport(`peer-${i}`, 'send'));
        } catch (e) {
          failure = e;
        }
      }
      expect(made.length).toBeGreaterThanOrEqual(1);
      expect(failure).toBeInstanceOf(SfuError);
      expect(failure).toMatchObject({ code: 'RTC_PORTS_EXHAUSTED' });
      expect((failure as Error).message).toMatch(/端口已满/);
      session.close();

      // The openDataChannel close race: the transport (a page reloading) or the session (a hang-up)
      // goes while the channel is being opened — a stable code, not INTERNAL.
      const raced = await MediaSession.create({ sessionId: 'race', pool, listen: { listenIp: '127.0.0.1', minPort: 45000, maxPort: 45999 } });
      const recv = await raced.createWebRtcTransport('peer-r', 'recv');
      const opening = raced.openDataChannel('peer-r', recv.id);
      raced.closePeer('peer-r');
      await expect(opening).rejects.toMatchObject({ code: 'TRANSPORT_NOT_FOUND' });
      const recv2 = await raced.createWebRtcTransport('peer-s', 'recv');
      const opening2 = raced.openDataChannel('peer-s', recv2.id);
      raced.close();
      await expect(opening2).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
      // Any other request racing a closing object answers a stable code too.
      const closedChannel = Object.assign(new Error('Channel closed'), { name: 'InvalidStateError' });
      expect(toWireError(closedChannel).code).toBe('MEDIA_OBJECT_CLOSED');
    } finally {
      pool.close();
    }
  });
});

describe('cases waiting per counter and material bytes (F4)', () => {
  it('a counter with 2 cases waiting is refused a 3rd (no case, no number, nothing queued); once one is accepted it may queue again', async () => {
    await refill();
    const counter = await WsClient.connect(t.origin, counterCookie);
    const clerk = await WsClient.connect(t.origin, clerkCookie);
    // The F3 test above left this terminal with 2 cases waiting (the budget).
    const queued = async () => (await t.node.cases.store.getMany(await queueIds())).filter((r) => r?.state === 'queued' && r.counterId === 'wujiang-kyth-01');
    // Every case record of the node (case:{id}), whoever opened it.
    const queueIds = async () => (await t.node.redis.keys('case:{*}')).map((k) => k.slice('case:{'.length, -1));
    while ((await queued()).length < 2) await counter.call('queue.join', { partnershipId: PARTNERSHIP, itemCode: ITEM_X, applicant: applicant() });
    const before = await queued();
    expect(before).toHaveLength(2);
    const refused = await counter.request('queue.join', { partnershipId: PARTNERSHIP, itemCode: ITEM_X, applicant: applicant() });
    expect(refused.error).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { budget: 'casesWaitingPerCounter', limit: 2 } });
    expect(refused.error?.message).toMatch(/在排队/);
    expect(await queued()).toHaveLength(2);
    expect(await refusals('casesWaitingPerCounter')).toBeGreaterThanOrEqual(1);

    // The clerk takes one: a place is free again.
    await clerk.call('queue.accept', { caseId: before[0]!.id });
    const again = await counter.request('queue.join', { partnershipId: PARTNERSHIP, itemCode: ITEM_X, applicant: applicant() });
    expect(again.ok).toBe(true);

    // Material bytes per side of a case (1 MB here): 600 KB fits once, not twice; the other case is untouched.
    const png = Buffer.from(TINY_PNG_BASE64, 'base64');
    const big = Buffer.concat([png, Buffer.alloc(600 * 1024, 1)]).toString('base64');
    const first = await counter.request('material.capture', { caseId: before[0]!.id, mime: 'image/png', dataBase64: big });
    expect(first.ok).toBe(true);
    const second = await counter.request('material.capture', { caseId: before[0]!.id, mime: 'image/png', dataBase64: big });
    expect(second.error).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { budget: 'materialBytesPerCase' } });
    expect(second.error?.message).toContain('本方');
    expect((await t.node.cases.getCase(before[0]!.id)).materials).toHaveLength(1);
    // Counted per side of the case: the counter's uploads leave the clerk its own share.
    const byClerk = await clerk.request('material.capture', { caseId: before[0]!.id, mime: 'image/png', dataBase64: big });
    expect(byClerk.error).toBeUndefined();
    expect((await t.node.cases.getCase(before[0]!.id)).materials.map((m) => m.side)).toEqual(['counter', 'clerk']);
    for (const c of [counter, clerk]) await c.close();
  });
});
