import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import type { Principal } from '@rvw/signaling/auth/Principal';
import { can } from '@rvw/signaling/auth/policy';
import { Connection } from '@rvw/signaling/ws/Connection';
import { Hub } from '@rvw/signaling/ws/Hub';

/** A socket that records what it was sent: only the Hub's routing is under test here. */
function recordingSocket(): WebSocket & { sent: string[] } {
  const sent: string[] = [];
  return { OPEN: 1, readyState: 1, sent, send: (data: string) => sent.push(data) } as unknown as WebSocket & { sent: string[] };
}

const counter = (n: number): Principal => ({ kind: 'counter', counterId: `counter-${n}`, hallId: 'hall', regionCode: '320509', name: `窗口 ${n}` }) as Principal;
const clerk = (n: number, regionCode: string): Principal => ({ kind: 'staff', role: 'clerk', staffId: `clerk-${n}`, name: `人员 ${n}`, regionCode, itemCodes: ['000117013000'] }) as Principal;
const facts = (caseId: number) => ({ servingRegion: '341522', applicantRegion: '320509', counterId: `counter-${caseId}`, itemCode: '000117013000', clerkId: `clerk-${caseId}` });

function hubWith(n: number) {
  const hub = new Hub({ mayReceive: (conn, g) => (g.action === 'queue.read' ? can(conn.principal, 'queue.read', { queue: g.queue }) : can(conn.principal, 'chat.read', { case: g.case })) });
  const counters: Connection[] = [];
  const clerks: Connection[] = [];
  for (let i = 0; i < n; i++) {
    const c = new Connection(recordingSocket(), counter(i), `k-counter-${i}`);
    hub.add(c);
    c.caseSubscriptions.add(`case-${i}`);
    counters.push(c);
    // Half the clerks serve the other region: watching their queue must not put them on this one.
    const k = new Connection(recordingSocket(), clerk(i, i % 2 ? '341522' : '320509'), `k-clerk-${i}`);
    hub.add(k);
    clerks.push(k);
  }
  return { hub, counters, clerks };
}

const sentTo = (c: Connection) => (c.socket as unknown as { sent: string[] }).sent.map((s) => JSON.parse(s) as { type: string });

describe('Hub delivery goes by index, never over every connection', () => {
  it('one case notification among 5,000 registered counters looks at its own socket only', () => {
    const { hub, counters } = hubWith(2500);
    expect(hub.size).toBe(5000);
    const before = hub.examined;
    hub.route({ type: 'case.changed', caseId: 'case-1234', version: 3, state: 'in_session' }, { audience: 'case', caseId: 'case-1234', case: facts(1234) });
    // Its own socket, and the holding clerk's (a case handed to them reaches their queue page).
    expect(hub.examined - before).toBe(2);
    expect(sentTo(counters[1234]!)).toEqual([{ type: 'case.changed', caseId: 'case-1234', version: 3, state: 'in_session' }]);
    expect(counters.filter((c) => sentTo(c).length > 0)).toHaveLength(1);
  });

  it('chat goes to the two sides following the case; the index follows subscriptions, sessions and closes', () => {
    const { hub, counters, clerks } = hubWith(2500);
    const side = clerks[7]!;
    const chat = { type: 'chat.message', caseId: 'case-7', at: '2026-01-01T00:00:00.000Z', by: '人员', role: 'clerk', text: '您好' } as const;
    // The clerk holds case-7 but does not follow it yet: only the counter hears.
    let before = hub.examined;
    hub.route(chat, { audience: 'parties', caseId: 'case-7', case: facts(7) });
    expect(hub.examined - before).toBe(2);
    expect(sentTo(counters[7]!)).toHaveLength(1);
    expect(sentTo(side)).toHaveLength(0);
    // Joining the call puts it on the route; leaving takes it off; a closed socket is forgotten.
    side.sessionId = 'case-7';
    expect(hub.inSession('case-7')).toEqual([side]);
    hub.route(chat, { audience: 'parties', caseId: 'case-7', case: facts(7) });
    expect(sentTo(side)).toHaveLength(1);
    side.sessionId = undefined;
    expect(hub.inSession('case-7')).toEqual([]);
    counters[7]!.caseSubscriptions.delete('case-7');
    hub.remove(side);
    before = hub.examined;
    hub.route(chat, { audience: 'parties', caseId: 'case-7', case: facts(7) });
    // Looked at (the counter is still a party) but no longer following the case: nothing more sent.
    expect(hub.examined - before).toBe(1);
    expect(sentTo(counters[7]!)).toHaveLength(2);
    expect(hub.byStaff('clerk-7')).toEqual([]);
  });

  it('queue.changed reaches the watching clerks of the serving region and the counters waiting in it', () => {
    const { hub, counters, clerks } = hubWith(2500);
    for (const k of clerks.slice(0, 10)) k.queueSubscribed = true;
    counters[3]!.waitingIn.add('341522|000117013000');
    const before = hub.examined;
    hub.route({ type: 'queue.changed', servingRegion: '341522', partnershipId: 'p', itemCode: '000117013000' }, { audience: 'queue', servingRegion: '341522', itemCode: '000117013000' });
    // Five watchers of 341522 (the odd ones among the first ten) and one waiting counter looked at.
    expect(hub.examined - before).toBe(6);
    expect(clerks.filter((k) => sentTo(k).length).map((k) => k.principal.kind === 'staff' && k.principal.staffId)).toEqual(['clerk-1', 'clerk-3', 'clerk-5', 'clerk-7', 'clerk-9']);
    expect(counters.filter((c) => sentTo(c).length)).toEqual([counters[3]]);
    expect(hub.queueWatchers()).toHaveLength(10);
  });

  it('session notifications skip the peer they are about, directly joined or linked through a desk', () => {
    const { hub, counters, clerks } = hubWith(100);
    const a = counters[0]!;
    const desk = clerks[0]!;
    a.sessionId = 'case-0';
    a.peerId = 'counter-peer';
    desk.sessionId = 'desk-x';
    desk.linkedSessionId = 'case-0';
    desk.peerId = 'clerk-peer';
    hub.route({ type: 'peer.joined', sessionId: 'case-0', peerId: 'clerk-peer', role: 'clerk' }, { audience: 'session', sessionId: 'case-0', exceptPeerId: 'clerk-peer' });
    expect(sentTo(a)).toEqual([{ type: 'peer.joined', sessionId: 'case-0', peerId: 'clerk-peer', role: 'clerk' }]);
    expect(sentTo(desk)).toEqual([]);
    expect(hub.byPeer('case-0', 'clerk-peer')).toBe(desk);
    expect(hub.linkedTo('case-0')).toEqual([desk]);
  });
});
