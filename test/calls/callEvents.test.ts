// CallService emits typed events (no socket delivery of its own); the socket edge maps each to its
// protocol message and audience. Real node: Redis bus, mediasoup worker, WebSockets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallServiceEvents } from '@rvw/signaling/calls/CallService';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient, WsRequestError } from '../harness/wsClient';
import { opusRtpParameters } from '../security/support/fixtures';

describe('call events: CallService emits them, the socket edge turns them into messages', () => {
  let t: TestNode;
  let counterCookie: { name: string; value: string };

  beforeAll(async () => {
    t = await startTestNode();
    counterCookie = (await t.counter('wujiang-kyth-01')).cookie;
  });
  afterAll(async () => t?.dispose());

  it('peer joined/left, producer new/closed and session ended: each event once, each message to the others in the call only', async () => {
    const seen: { name: keyof CallServiceEvents; event: unknown }[] = [];
    const names: (keyof CallServiceEvents)[] = ['peerjoined', 'peerleft', 'producernew', 'producerclosed', 'sessionended', 'mediareset'];
    const listeners = names.map((name) => {
      const listener = (event: unknown) => seen.push({ name, event });
      t.node.calls.on(name, listener);
      return () => t.node.calls.off(name, listener);
    });
    try {
      const a = await WsClient.connect(t.origin, counterCookie);
      const b = await WsClient.connect(t.origin, counterCookie);
      const opened = await a.request('queue.join', {
        partnershipId: 'wujiang-huoqiu',
        itemCode: '000117013000',
        applicant: { name: '周淑珍', idNumber: withCheckDigit('32058419620103777') },
      });
      const caseId = opened.id;
      await a.request('session.join', { sessionId: caseId, peerId: 'peer-a' });
      await b.request('session.join', { sessionId: caseId, peerId: 'peer-b' });
      expect(seen.filter((s) => s.name === 'peerjoined').map((s) => s.event)).toEqual([
        { sessionId: caseId, peerId: 'peer-a', role: 'counter' },
        { sessionId: caseId, peerId: 'peer-b', role: 'counter' },
      ]);
      // The others hear of a new peer; the peer itself does not.
      await a.next((m) => m.type === 'peer.joined' && m.peerId === 'peer-b');
      expect(a.notifications.some((m) => m.type === 'peer.joined' && m.peerId === 'peer-a')).toBe(false);

      const send = await b.request('createWebRtcTransport', { direction: 'send' });
      const { producerId } = await b.request('produce', { transportId: send.id, kind: 'audio', rtpParameters: opusRtpParameters(4242) as never, source: 'mic' });
      expect(seen.filter((s) => s.name === 'producernew').map((s) => s.event)).toEqual([
        { sessionId: caseId, producer: { producerId, peerId: 'peer-b', kind: 'audio', source: 'mic' } },
      ]);
      expect(await a.next((m) => m.type === 'producer.new')).toEqual({ type: 'producer.new', sessionId: caseId, producer: { producerId, peerId: 'peer-b', kind: 'audio', source: 'mic' } });
      await b.request('closeProducer', { producerId });
      expect(seen.filter((s) => s.name === 'producerclosed').map((s) => s.event)).toEqual([{ sessionId: caseId, producerId, peerId: 'peer-b' }]);
      expect(await a.next((m) => m.type === 'producer.closed')).toEqual({ type: 'producer.closed', sessionId: caseId, producerId });

      await b.request('session.leave', {});
      expect(seen.filter((s) => s.name === 'peerleft').map((s) => s.event)).toEqual([{ sessionId: caseId, peerId: 'peer-b', reason: 'left' }]);
      expect(await a.next((m) => m.type === 'peer.left')).toEqual({ type: 'peer.left', sessionId: caseId, peerId: 'peer-b', reason: 'left' });

      t.node.calls.end(caseId, 'test_hangup');
      expect(seen.filter((s) => s.name === 'sessionended').map((s) => s.event)).toEqual([{ sessionId: caseId, reason: 'test_hangup' }]);
      expect(await a.next((m) => m.type === 'session.ended')).toEqual({ type: 'session.ended', sessionId: caseId, reason: 'test_hangup' });
      expect(t.node.registry.get(caseId)).toBeUndefined();
      // b left before: it heard none of what came after, and nothing about its own tracks.
      await new Promise((r) => setTimeout(r, 200));
      expect(b.notifications.filter((m) => m.type.startsWith('producer.') || m.type === 'peer.left' || m.type === 'session.ended')).toEqual([]);
      expect(seen.some((s) => s.name === 'mediareset')).toBe(false);
      a.close();
      b.close();
    } finally {
      for (const off of listeners) off();
    }
  });

  it('linking a desk into a call is the policy’s decision: the case’s own counter is refused in words, and nothing is announced', async () => {
    const counter = await WsClient.connect(t.origin, counterCookie);
    const opened = await counter.request('queue.join', {
      partnershipId: 'wujiang-huoqiu',
      itemCode: '000117013000',
      applicant: { name: '周淑珍', idNumber: withCheckDigit('32058419620103888') },
    });
    await counter.request('session.join', { sessionId: opened.id, peerId: 'peer-c' });
    const joined: unknown[] = [];
    const onJoined = (e: unknown) => joined.push(e);
    t.node.calls.on('peerjoined', onJoined);
    try {
      const refused = await counter.request('session.link', { sessionId: opened.id }).catch((e: WsRequestError) => e);
      expect(refused).toBeInstanceOf(WsRequestError);
      expect((refused as WsRequestError).code).toBe('FORBIDDEN');
      expect((refused as WsRequestError).message).toContain('只有受理该办件的工作人员可以接入');
      expect(joined).toEqual([]);
    } finally {
      t.node.calls.off('peerjoined', onJoined);
      counter.close();
    }
  });
});
