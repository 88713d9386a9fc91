import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient } from '../harness/wsClient';

// The counter's "前面还有 N 人" must move while it waits: when a case ahead is accepted, the
// counter hears the queue changed and reads its new position.
describe('a waiting counter follows its queue position live', () => {
  let t: TestNode;
  let counter: WsClient;
  let clerk: WsClient;

  beforeAll(async () => {
    t = await startTestNode();
    counter = await WsClient.connect(t.origin, (await t.counter('wujiang-kyth-01')).cookie);
    clerk = await WsClient.connect(t.origin, (await t.clerk('341522', ['000117013000'], '霍邱 吴斌')).cookie);
  });
  afterAll(async () => {
    counter?.close();
    clerk?.close();
    await t?.dispose();
  });

  it('moves from position 2 to 1 when the case ahead is accepted', async () => {
    const open = (name: string, id17: string) =>
      counter.request('queue.join', { partnershipId: 'wujiang-huoqiu', itemCode: '000117013000', applicant: { name, idNumber: withCheckDigit(id17) } });
    const first = await open('王建华', '32058419600101201');
    const second = await open('李秀珍', '32058419620202302');
    expect(first.queue?.position).toBe(1);
    expect(second.queue).toMatchObject({ position: 2 });
    expect(second.queue!.estimatedWaitSeconds).toBeGreaterThan(first.queue!.estimatedWaitSeconds);
    counter.notifications.length = 0;

    await clerk.request('queue.accept', { caseId: first.id });
    const changed = await counter.next((n) => n.type === 'queue.changed', 15_000);
    expect(changed).toMatchObject({ servingRegion: '341522', itemCode: '000117013000' });
    const now = await counter.request('case.get', { caseId: second.id });
    expect(now.queue?.position).toBe(1);
  });
});
