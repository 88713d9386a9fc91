import { AGENT_RELATIONSHIPS, type AgentRelationship } from '@rvw/protocol/vocabulary';
import { byId, h } from '../../ui/dom';

/** What the counter sends about who acts and who helps (帮办代办, #18). */
export interface AgentEntry {
  agent?: { name: string; idNumber: string; relationship: AgentRelationship; phone?: string };
  helper?: { name: string };
}

/**
 * 帮办代办 on the counter's first step: a person acting for the applicant (代办人: name, ID number,
 * relationship, phone), shown only when 由代办人办理 is ticked, and the counter's own staff member
 * helping on site (帮办员). Read once when the applicant queues, cleared for the next one.
 */
export class AgentFields {
  constructor() {
    byId<HTMLSelectElement>('agent-relation').replaceChildren(h('option', { value: '' }, '请选择'), ...AGENT_RELATIONSHIPS.map((r) => h('option', { value: r }, r)));
    byId<HTMLInputElement>('agent-on').addEventListener('change', () => this.#showFields());
  }

  /** The entries, or a sentence saying what is missing. */
  read(applicantIdNumber: string): AgentEntry | string {
    const helperName = byId<HTMLInputElement>('helper-name').value.trim();
    const entry: AgentEntry = helperName ? { helper: { name: helperName } } : {};
    if (!byId<HTMLInputElement>('agent-on').checked) return entry;
    const name = byId<HTMLInputElement>('agent-name').value.trim();
    const idNumber = byId<HTMLInputElement>('agent-id').value.trim().toUpperCase();
    const relationship = byId<HTMLSelectElement>('agent-relation').value as AgentRelationship | '';
    const phone = byId<HTMLInputElement>('agent-phone').value.trim();
    if (!name) return '请填写代办人姓名';
    if (!/^\d{17}[\dX]$/.test(idNumber)) return '代办人身份证号码格式不正确，请核对 18 位号码（最后一位可以是 X）';
    if (idNumber === applicantIdNumber) return '代办人不能是申请人本人；申请人本人办理时请不要勾选“由代办人办理”';
    if (!relationship) return '请选择代办人与申请人的关系';
    return { ...entry, agent: { name, idNumber, relationship, ...(phone ? { phone } : {}) } };
  }

  /** Empties every entry (the next applicant starts from nothing). */
  clear(): void {
    for (const id of ['agent-name', 'agent-id', 'agent-phone', 'helper-name']) byId<HTMLInputElement>(id).value = '';
    byId<HTMLSelectElement>('agent-relation').value = '';
    byId<HTMLInputElement>('agent-on').checked = false;
    this.#showFields();
  }

  #showFields(): void {
    byId('agent-fields').classList.toggle('hidden', !byId<HTMLInputElement>('agent-on').checked);
  }
}
