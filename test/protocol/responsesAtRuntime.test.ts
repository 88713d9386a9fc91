import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { CaseRecord } from '@rvw/protocol/caseRecord';
import { isErrorCode } from '@rvw/protocol/errors';
import { CALL_MODES } from '@rvw/protocol/vocabulary';
import type { CaseViewResponse, QueueEntry, ResponseOf } from '@rvw/protocol/responses';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient, WsRequestError } from '../harness/wsClient';

// The response map (@rvw/protocol/responses) is only types: the compiler checks the handlers
// against it, but a handler can still widen a value at runtime (a spread of the stored record, an
// extra field). So the real answers of a real node are validated here with strict schemas built
// from the protocol's own record schema: an extra, missing or mistyped field fails.

const ViewedApplicant = z.strictObject({ name: z.string().min(1), idNumber: z.string().min(1), phone: z.string().optional(), masked: z.boolean() });
const QueueStandingSchema = z.strictObject({ position: z.number().int().positive(), estimatedWaitSeconds: z.number().nonnegative(), clerksOnline: z.number().int().nonnegative(), clerksPaused: z.number().int().nonnegative() });
const CaseViewResponseSchema = CaseRecord.omit({ applicant: true }).extend({ applicant: ViewedApplicant, queue: QueueStandingSchema.optional() });
const QueueEntrySchema = z.strictObject({
  caseId: z.string().min(1),
  partnershipId: z.string().min(1),
  itemCode: z.string().min(1),
  itemName: z.string().min(1),
  applicantRegion: z.string().min(1),
  hallId: z.string().min(1),
  counterId: z.string().min(1),
  applicantName: z.string().min(1),
  enqueuedAt: z.string().min(1),
  waitingSeconds: z.number().nonnegative(),
  applicantRegionName: z.string().optional(),
});
const QueueSubscribeSchema = z.strictObject({ cases: z.array(QueueEntrySchema) });
const ChatSendSchema = z.strictObject({ at: z.string().optional() });
const PingSchema = z.strictObject({ pong: z.number() });
const CallModeSchema = z.strictObject({ mode: z.enum(CALL_MODES) });

describe('ResponseOf agrees with what a real node answers', () => {
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

  it('the schemas describe the same shapes as the response map (both ways assignable)', () => {
    expectTypeOf<z.infer<typeof CaseViewResponseSchema>>().toExtend<ResponseOf<'case.get'>>();
    expectTypeOf<ResponseOf<'case.get'>>().toExtend<z.infer<typeof CaseViewResponseSchema>>();
    expectTypeOf<z.infer<typeof QueueEntrySchema>>().toExtend<QueueEntry>();
    expectTypeOf<ResponseOf<'queue.subscribe'>>().toExtend<z.infer<typeof QueueSubscribeSchema>>();
    expectTypeOf<ResponseOf<'ping'>>().toEqualTypeOf<z.infer<typeof PingSchema>>();
    expectTypeOf<ResponseOf<'call.mode'>>().toEqualTypeOf<z.infer<typeof CallModeSchema>>();
  });

  it('queue.join, queue.subscribe, queue.accept, case.get, chat.send, call.mode and ping answer exactly their mapped shapes', async () => {
    const joined = await counter.request('queue.join', {
      partnershipId: 'wujiang-huoqiu',
      itemCode: '000117013000',
      applicant: { name: '王建华', idNumber: withCheckDigit('32058419600101201') },
    });
    expectTypeOf(joined).toEqualTypeOf<CaseViewResponse>();
    const joinedView = CaseViewResponseSchema.parse(joined);
    expect(joinedView.state).toBe('queued');
    expect(joinedView.queue?.position).toBe(1);

    const subscribed = QueueSubscribeSchema.parse(await clerk.request('queue.subscribe', {}));
    expect(subscribed.cases.map((c) => c.caseId)).toContain(joined.id);
    expect(subscribed.cases.find((c) => c.caseId === joined.id)?.applicantName).toBe('王**');

    const accepted = CaseViewResponseSchema.parse(await clerk.request('queue.accept', { caseId: joined.id }));
    expect(accepted.state).toBe('in_session');
    expect(accepted.queue).toBeUndefined();

    // The handling clerk sees the numbers, the counter (it holds the ID card) a masked view: both
    // are the same mapped shape.
    const clerkView = CaseViewResponseSchema.parse(await clerk.request('case.get', { caseId: joined.id }));
    const counterView = CaseViewResponseSchema.parse(await counter.request('case.get', { caseId: joined.id }));
    expect(clerkView.applicant).toMatchObject({ masked: false, idNumber: withCheckDigit('32058419600101201') });
    expect(counterView.applicant.masked).toBe(true);
    expect(counterView.applicant.idNumber).not.toBe(withCheckDigit('32058419600101201'));

    const chat = ChatSendSchema.parse(await clerk.request('chat.send', { caseId: joined.id, text: '请出示户口簿。' }));
    expect(Number.isNaN(Date.parse(chat.at ?? ''))).toBe(false);
    // The call runs at the worse side's proposal; the record carries both, the view shows it.
    expect(CallModeSchema.parse(await counter.request('call.mode', { caseId: joined.id, proposed: 'document_first', measured: { lossPct: 9.2 } }))).toEqual({ mode: 'document_first' });
    expect(CallModeSchema.parse(await clerk.request('call.mode', { caseId: joined.id, proposed: 'audio', measured: { availableKbps: 90 } }))).toEqual({ mode: 'audio' });
    expect(CaseViewResponseSchema.parse(await counter.request('case.get', { caseId: joined.id })).media).toMatchObject({ mode: 'audio', counter: 'document_first', clerk: 'audio', changes: { counter: 1, clerk: 1 } });
    const ping = PingSchema.parse(await counter.request('ping', {}));
    expect(ping.pong).toBeGreaterThan(0);
  });

  it('a refusal carries a code of the ErrorCode union and a Chinese message', async () => {
    const err = await counter.request('case.get', { caseId: 'no-such-case' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WsRequestError);
    const { code, message } = err as WsRequestError;
    expect(isErrorCode(code)).toBe(true);
    expect(code).toBe('CASE_NOT_FOUND');
    expect(message).toMatch(/[\u4e00-\u9fff]/);
  });
});
