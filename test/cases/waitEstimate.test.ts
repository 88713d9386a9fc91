import { describe, expect, it } from 'vitest';
import { ClerkPresence, PAUSE_MAX_MS, PRESENCE_TTL_SECONDS } from '@rvw/signaling/queue/ClerkPresence';
import { DEFAULT_HANDLING_SECONDS } from '@rvw/signaling/queue/QueueStore';
import { APPLICANT, ITEMS, WUJIANG_COUNTER, fakeClock, huoqiuClerk, jpegBytes, pngBytes, useCaseWorld } from './fixtures';

const time = fakeClock();
const env = useCaseWorld({ clock: time.clock });

// The wait a counter shows comes from the clerks actually serving the item (present: their page
// watches the queue; idle: holding no case) and the item's recent handling times, all in Redis —
// so a clerk on another node counts the same.
describe('wait estimate', () => {
  it('follows the clerks serving the item and the recent handling times', async () => {
    const s = env.world.service;
    // Another node's view of presence: same Redis, no shared memory.
    const presence = new ClerkPresence(env.world.redis, time.clock);
    const p = env.world.demo.partnershipId;
    const open = async (name: string) => {
      // One second apart: the queue orders by enqueue time.
      time.advance(1);
      return s.openCase(WUJIANG_COUNTER, { partnershipId: p, itemCode: ITEMS.certificate, applicant: { ...APPLICANT, name } });
    };
    const clerk = huoqiuClerk('clerk-wait-1');
    const other = huoqiuClerk('clerk-wait-2');

    // Nobody serving: the first in line waits about half a handling time (the default, 10 min).
    const a = await open('甲');
    expect(await s.queuePosition(a.id)).toMatchObject({ position: 1, clerksOnline: 0, clerksIdle: 0, estimatedWaitSeconds: DEFAULT_HANDLING_SECONDS / 2 });

    // A clerk opens the page and idles: the first in line is next, at once (即将接通).
    await presence.online(clerk);
    expect(await s.queuePosition(a.id)).toMatchObject({ clerksOnline: 1, clerksIdle: 1, estimatedWaitSeconds: 0 });
    // The second waits for that clerk's first case: about half of one.
    const b = await open('乙');
    expect(await s.queuePosition(b.id)).toMatchObject({ position: 2, estimatedWaitSeconds: DEFAULT_HANDLING_SECONDS / 2 });
    // A second clerk idles: both are served at once.
    await presence.online(other);
    expect(await s.queuePosition(b.id)).toMatchObject({ clerksOnline: 2, clerksIdle: 2, estimatedWaitSeconds: 0 });
    await presence.offline(other);

    // The clerk takes the first case and is busy; the second is next, the clerk half done on average.
    await s.acceptCase(clerk, a.id);
    expect(await s.queuePosition(b.id)).toMatchObject({ position: 1, clerksOnline: 1, clerksIdle: 0, estimatedWaitSeconds: DEFAULT_HANDLING_SECONDS / 2 });

    // That case is handled in 4 minutes: the rolling mean follows, and the clerk is free again.
    await s.captureMaterial(WUJIANG_COUNTER, a.id, { kind: 'document_camera', bytes: jpegBytes('w-id'), materialId: 'id_card' });
    await s.confirmSignature(WUJIANG_COUNTER, a.id, { png: pngBytes('w') });
    time.advance(4 * 60);
    // Meanwhile the clerk's node refreshed its presence, as it does every 20 s.
    await presence.online(clerk);
    await s.transition(clerk, a.id, { to: 'completed' });
    expect(await s.queuePosition(b.id)).toMatchObject({ clerksOnline: 1, clerksIdle: 1, estimatedWaitSeconds: 0 });
    const c = await open('丙');
    expect(await s.queuePosition(c.id)).toMatchObject({ position: 2, estimatedWaitSeconds: 120 });

    // 示忙: the clerk is at the desk but takes nobody new — not counted, but counted as paused.
    await s.setClerkAvailability(clerk, { paused: true });
    expect(await s.queuePosition(c.id)).toMatchObject({ clerksOnline: 0, clerksPaused: 1, estimatedWaitSeconds: Math.round(1.5 * 240) });
    // The administrator's live view counts the paused clerk as at the desk, and paused.
    expect(await presence.snapshot([{ regionCode: '341522', itemCode: ITEMS.certificate }])).toEqual({ online: 1, busy: 0, paused: 1 });
    expect((await s.setClerkAvailability(clerk, {})).paused).toBe(true);
    // A pause lapses after PAUSE_MAX_MS (a clerk who went home is not paused next morning).
    time.advance(PAUSE_MAX_MS / 1000 + 1);
    await presence.online(clerk);
    expect(await s.setClerkAvailability(clerk, {})).toEqual({ paused: false, since: null });
    expect(await s.queuePosition(c.id)).toMatchObject({ clerksOnline: 1, clerksPaused: 0 });
    await s.setClerkAvailability(clerk, { paused: true });
    await s.setClerkAvailability(clerk, { paused: false });
    expect(await s.queuePosition(c.id)).toMatchObject({ clerksOnline: 1, clerksIdle: 1, clerksPaused: 0, estimatedWaitSeconds: 120 });

    // A clerk whose node stopped refreshing lapses after the TTL: back to the no-clerk estimate.
    time.advance(PRESENCE_TTL_SECONDS + 1);
    expect(await s.queuePosition(c.id)).toMatchObject({ clerksOnline: 0, estimatedWaitSeconds: Math.round(1.5 * 240) });
  });

  it('frees a clerk only for the case it holds', async () => {
    const presence = new ClerkPresence(env.world.redis, time.clock);
    const clerk = { ...huoqiuClerk('clerk-wait-3'), itemCodes: [ITEMS.transfer] };
    await presence.online(clerk);
    await presence.busy(clerk.staffId, 'case-new');
    await presence.free(clerk.staffId, 'case-old');
    expect(await presence.serving('341522', ITEMS.transfer)).toMatchObject({ online: 1, idle: 0 });
    await presence.free(clerk.staffId, 'case-new');
    expect(await presence.serving('341522', ITEMS.transfer)).toMatchObject({ online: 1, idle: 1 });
  });
});
