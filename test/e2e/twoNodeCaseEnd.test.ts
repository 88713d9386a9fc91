import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegionalNode } from '@rvw/signaling/app/RegionalNode';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient } from '../harness/wsClient';
import { opusRtpParameters, TINY_PNG_BASE64 } from '../security/support/fixtures';

// Two signaling nodes over one Redis, nothing shared in memory: the counter's call lives on node
// A, the clerk works on node B. The wait estimate on A sees the clerk present on B; when B closes
// the case, A ends the call it hosts (no producer of the counter left, the counter is told).
describe('two nodes: presence and the end of a case travel through Redis', () => {
  let t: TestNode;
  let b: RegionalNode;

  beforeAll(async () => {
    t = await startTestNode();
    b = await t.startSecondNode();
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('the clerk on B makes the estimate on A 即将接通, and closing the case on B ends the call on A', async () => {
    const clerk = await t.clerk('341522', ['000117013000'], '霍邱 孙丽');
    const counterCookie = (await t.counter('wujiang-kyth-01')).cookie;
    const counter = await WsClient.connect(t.origin, counterCookie);
    const clerkOnB = await WsClient.connect(b.url, clerk.cookie);

    const opened = await counter.request('queue.join', {
      partnershipId: 'wujiang-huoqiu',
      itemCode: '000117013000',
      applicant: { name: '周淑珍', idNumber: withCheckDigit('32058419620101234') },
    });
    const caseId = opened.id;
    expect(opened.queue).toMatchObject({ clerksOnline: 0 });
    // The clerk's page on B watches the queue: present, idle — seen from A.
    await clerkOnB.request('queue.subscribe', {});
    const waiting = await counter.request('case.get', { caseId });
    expect(waiting.queue).toEqual({ position: 1, estimatedWaitSeconds: 0, clerksOnline: 1, clerksPaused: 0 });

    // The counter's call (held back while queued) lives on A.
    const rtpCapabilities = await counter.request('getRouterRtpCapabilities', {});
    await counter.request('session.join', { sessionId: caseId, peerId: 'counter-a', rtpCapabilities });
    const send = await counter.request('createWebRtcTransport', { direction: 'send' });
    await counter.request('produce', { transportId: send.id, kind: 'audio', rtpParameters: opusRtpParameters(4242) as never, source: 'mic' });
    expect(t.node.registry.get(caseId)?.ownProducers().map((p) => p.peerId)).toEqual(['counter-a']);
    expect(b.registry.get(caseId)).toBeUndefined();

    // B: accepted, materials and signature in, 办结.
    await clerkOnB.request('queue.accept', { caseId });
    await clerkOnB.request('material.capture', { caseId, materialId: 'id_card', mime: 'image/png', dataBase64: TINY_PNG_BASE64 });
    await counter.request('signature.submit', { caseId, pngBase64: TINY_PNG_BASE64 });
    const view = await t.node.cases.getCase(caseId);
    await clerkOnB.request('case.transition', { caseId, expectedVersion: view.version, to: 'completed' });

    // A ends the call it hosts: the counter hears why, and nothing of it is left on A.
    const ended = await counter.next((m) => m.type === 'session.ended' && m.sessionId === caseId, 10_000);
    expect(ended).toMatchObject({ reason: 'case_closed' });
    // The counter is told as the call ends, not necessarily after its session left the registry.
    await expect.poll(() => t.node.registry.get(caseId), { timeout: 15_000 }).toBeUndefined();
    // The clerk is free again, for everyone waiting on either node.
    expect(await t.node.cases.getCase(caseId)).toMatchObject({ state: 'completed' });
    counter.close();
    clerkOnB.close();
  });
});
