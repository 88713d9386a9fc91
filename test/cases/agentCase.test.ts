import { describe, expect, it } from 'vitest';
import { toCaseView } from '@rvw/signaling/cases/toCaseView';
import { APPLICANT, expectCode, huoqiuClerk, idNumber, ITEMS, useCaseWorld, WUJIANG_COUNTER } from './fixtures';

/*
 * 帮办代办 (#18) in the case: a 代办人 acts for the applicant at the counter, the counter's 帮办员
 * helps. The case names both, asks for the agent's ID card and the applicant's 授权委托书 (their
 * consent) as mandatory materials, keeps the agent's number whole but shows it masked as the
 * applicant's, and never takes the applicant for their own agent.
 */

const env = useCaseWorld();
const li = huoqiuClerk('clerk-agent-li');
const AGENT = { name: '陈小红', idNumber: idNumber('32058419880512342'), relationship: '子女' as const, phone: '13812345678' };

describe('帮办代办: the agent and the helper on the case', () => {
  it('records the agent and the helper, adds their materials to the checklist, and masks the agent as the applicant is masked', async () => {
    const s = env.world.service;
    const opened = await s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT, agent: AGENT, helper: { name: '窗口 周敏' } });
    expect(opened.agent).toEqual(AGENT);
    expect(opened.helper).toEqual({ name: '窗口 周敏' });
    // The item's own materials, then the agent's ID card and the applicant's 授权委托书, both mandatory.
    expect(opened.checklist.slice(-2)).toEqual([
      { materialId: 'agent_id_card', name: '代办人居民身份证', mandatory: true, status: 'missing' },
      { materialId: 'power_of_attorney', name: '授权委托书（申请人签字）', mandatory: true, status: 'missing' },
    ]);
    // The counter's screen (a public hall) sees the agent masked; the clerk handling the case whole.
    const atCounter = toCaseView(opened, WUJIANG_COUNTER);
    expect(atCounter.agent).toEqual({ ...AGENT, idNumber: `${AGENT.idNumber.slice(0, 4)}**********${AGENT.idNumber.slice(14)}`, phone: '138****5678' });
    const accepted = await s.acceptCase(li, opened.id);
    expect(toCaseView(accepted, li).agent).toEqual(AGENT);
    // The chain names them, the agent's number masked.
    const { events } = await s.history(opened.id);
    const openedEvent = events.find((e) => e.action === 'case.opened')!;
    expect(openedEvent.data).toMatchObject({ agent: { name: AGENT.name, idNumber: `${AGENT.idNumber.slice(0, 4)}**********${AGENT.idNumber.slice(14)}`, relationship: '子女' }, helper: { name: '窗口 周敏' } });
    expect(JSON.stringify(events)).not.toContain(AGENT.idNumber);
  });

  it('refuses the applicant as their own agent; a case without one has neither the agent nor the agent’s materials', async () => {
    const s = env.world.service;
    const refused = await expectCode(s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT, agent: { ...AGENT, idNumber: APPLICANT.idNumber } }), 'AGENT_IS_APPLICANT');
    expect(refused.message).toBe('代办人不能是申请人本人；申请人本人办理时请不要填写代办人');
    await expectCode(s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT, agent: { ...AGENT, relationship: '朋友' as never } }), 'VALIDATION_FAILED');
    const plain = await s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.certificate, applicant: APPLICANT });
    expect(plain.agent).toBeUndefined();
    expect(plain.helper).toBeUndefined();
    expect(plain.checklist.map((c) => c.materialId)).toEqual(['id_card']);
  });
});
