import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegionalNode } from '@rvw/signaling/app/RegionalNode';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient } from '../harness/wsClient';

const ITEM = '000117013000';
const HUOQIU = '341522';
const WUJIANG = '320509';

// One notification route: everything goes over the Redis bus with its routing hints and each
// node's Hub delivers by them. The counter works on node A, the clerk on node B; sockets that are
// not entitled (another counter, a clerk of the other region) sit on both nodes and hear nothing.
describe('notifications reach the entitled sockets on the other node, and no one else', () => {
  let t: TestNode;
  let b: RegionalNode;
  const open: WsClient[] = [];

  beforeAll(async () => {
    t = await startTestNode();
    b = await t.startSecondNode();
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await t?.dispose();
  });

  it('queue.changed, case.changed, chat both ways and document.issued cross nodes; outsiders receive nothing', async () => {
    const clerk = await t.clerk(HUOQIU, [ITEM], '霍邱 王芳');
    const otherRegionClerk = await t.clerk(WUJIANG, [ITEM], '吴江 陈静');
    const counterCookie = (await t.counter('wujiang-kyth-01')).cookie;
    const otherCounterCookie = (await t.counter('huoqiu-kyth-01')).cookie;
    const counter = await WsClient.connect(t.origin, counterCookie);
    const clerkOnB = await WsClient.connect(b.url, clerk.cookie);
    // Outsiders on both nodes: the other region's clerk watches its own queues, the other counter idles.
    const outsiders = [
      await WsClient.connect(t.origin, otherRegionClerk.cookie),
      await WsClient.connect(b.url, otherRegionClerk.cookie),
      await WsClient.connect(t.origin, otherCounterCookie),
      await WsClient.connect(b.url, otherCounterCookie),
    ];
    open.push(counter, clerkOnB, ...outsiders);
    await outsiders[0]!.request('queue.subscribe', {});
    await outsiders[1]!.request('queue.subscribe', {});
    await clerkOnB.request('queue.subscribe', {});

    // A counter on A queues: the clerk on B hears its queue changed.
    const opened = await counter.request('queue.join', {
      partnershipId: 'wujiang-huoqiu',
      itemCode: ITEM,
      applicant: { name: '刘桂英', idNumber: withCheckDigit('32058419580303123') },
    });
    const caseId = opened.id;
    expect(await clerkOnB.next((n) => n.type === 'queue.changed', 15_000)).toEqual({ type: 'queue.changed', servingRegion: HUOQIU, partnershipId: 'wujiang-huoqiu', itemCode: ITEM });

    // The clerk on B accepts: the counter on A hears the case changed, with its new state.
    await clerkOnB.request('queue.accept', { caseId });
    const changed = await counter.next((n) => n.type === 'case.changed' && n.caseId === caseId && n.state === 'in_session', 15_000);
    expect(changed).toMatchObject({ type: 'case.changed', caseId, state: 'in_session' });
    expect(changed).not.toHaveProperty('counterId');

    // Chat both ways across the nodes.
    await counter.request('chat.send', { caseId, text: '您好，我的材料已经准备好了' });
    expect(await clerkOnB.next((n) => n.type === 'chat.message', 15_000)).toMatchObject({ type: 'chat.message', caseId, role: 'counter', text: '您好，我的材料已经准备好了' });
    await clerkOnB.request('chat.send', { caseId, text: '好的，请把身份证放在高拍仪下' });
    expect(await counter.next((n) => n.type === 'chat.message' && n.role === 'clerk', 15_000)).toMatchObject({ type: 'chat.message', caseId, text: '好的，请把身份证放在高拍仪下' });
    // The sender's own sockets hear their line too (the page shows it from the notification).
    expect(await counter.next((n) => n.type === 'chat.message' && n.role === 'counter', 15_000)).toMatchObject({ text: '您好，我的材料已经准备好了' });

    // A document issued on B reaches the counter on A (and the clerk's own socket on B).
    const doc = await clerkOnB.request('document.issue', { caseId, docType: 'payment_certificate' });
    expect(await counter.next((n) => n.type === 'document.issued' && n.caseId === caseId, 15_000)).toMatchObject({ type: 'document.issued', number: doc.number, docType: 'payment_certificate' });
    expect(await clerkOnB.next((n) => n.type === 'document.issued' && n.caseId === caseId, 15_000)).toMatchObject({ number: doc.number });

    // Every node delivered the last message (it reached a socket on each), in the bus's order:
    // an outsider that were to hear anything of this case would have heard it by now.
    for (const o of outsiders) expect(o.notifications.filter((n) => n.type !== 'hello')).toEqual([]);
  });
});
