import type { FormField } from '@rvw/protocol/catalog';
import type { CaseRecord, FormValue } from '@rvw/protocol/caseRecord';
import { IsoDate } from '@rvw/protocol/caseRecord';
import { actorOf } from '../audit/actorOf.js';
import { authorizeParty } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { AppError } from '../errors/AppError.js';
import { assertCaseState } from './assertCaseState.js';
import { caseFacts } from './caseFacts.js';
import { chargeSide } from './chargeSide.js';
import type { CaseDeps } from './CaseDeps.js';
import { notifyCase } from './notifyCase.js';

/** One write of one entry of the application form. */
export interface FormWrite {
  key: string;
  value: string;
  /** The entry's rev as the writer last saw it; 0 when they saw it empty and never written. */
  expectedRev: number;
}

/**
 * Writes each side of a case may store. Each is an audit event; a form of 40 entries filled and
 * corrected needs a few hundred at most, and a page saving without end must not grow the chain.
 * Counted per side, so a counter that saves without end cannot use up the clerk's writes (nor the
 * other way round).
 */
export const MAX_FORM_CHANGES_PER_SIDE = 300;

const DEFAULT_MAX_LENGTH = { text: 100, textarea: 1000 } as const;

/** The value as stored: one line trimmed; a multi-line entry with its line ends made one kind. */
const normalize = (field: FormField, value: string): string => (field.type === 'textarea' ? value.replace(/\r\n?/g, '\n').trim() : value.trim());

/** Throws FORM_VALUE_INVALID unless `value` is a well-formed entry of `field` (empty clears it). */
function checkValue(field: FormField, value: string): void {
  if (value === '') return;
  const invalid = (why: string) => new AppError('FORM_VALUE_INVALID', `“${field.label}”${why}`, 400, { key: field.key });
  const limit = field.maxLength ?? (field.type === 'textarea' ? DEFAULT_MAX_LENGTH.textarea : DEFAULT_MAX_LENGTH.text);
  if ([...value].length > limit) throw invalid(`不能超过 ${limit} 个字`);
  switch (field.type) {
    case 'text':
      if (/[\r\n]/.test(value)) throw invalid('只能填写一行');
      return;
    case 'textarea':
      return;
    case 'date':
      if (!IsoDate.safeParse(value).success) throw invalid('应为日期，例如 2026-12-06');
      return;
    case 'number':
      if (!/^-?\d{1,15}(\.\d{1,4})?$/.test(value)) throw invalid('应为数字');
      return;
    case 'select':
      if (!(field.options ?? []).includes(value)) throw invalid(`应为以下之一：${(field.options ?? []).join('、')}`);
      return;
  }
}

/**
 * 同屏帮办 (#18): one side of the call writes one entry of the application form. Authorize (the
 * case's counter or the clerk holding it) → the entry exists on this case's form and is typed, not
 * derived from the applicant → the value is well formed for its kind → the entry is still at the
 * rev the writer saw (else FORM_FIELD_CONFLICT with the entry as it now is: nobody's words are
 * overwritten unseen, and the refused writer still has theirs on screen) → stored with who wrote
 * it, as an audit event → `case.changed` to both sides, on any node.
 */
export async function fillForm(deps: CaseDeps, principal: Principal, caseId: string, write: FormWrite): Promise<CaseRecord> {
  // Saving what is already there (a page's blur after its last keystroke was saved) writes
  // nothing: no new rev, no audit event.
  const seen = await deps.cases.require(caseId);
  authorizeParty(principal, 'form.fill', caseFacts(seen));
  const seenField = seen.form?.fields.find((f) => f.key === write.key);
  const seenValue = seen.form?.values[write.key];
  if (seenField && (seenValue?.rev ?? 0) === write.expectedRev && (seenValue?.value ?? '') === normalize(seenField, write.value)) return seen;
  const record = await deps.cases.update(caseId, (draft) => {
    const side = authorizeParty(principal, 'form.fill', caseFacts(draft));
    assertCaseState(draft, ['queued', 'in_session', 'pending_materials'], '填写申请表');
    const form = draft.form;
    const field = form?.fields.find((f) => f.key === write.key);
    if (!form || !field) throw new AppError('FORM_FIELD_UNKNOWN', '申请表中没有这一项，请刷新页面后重试', 400, { key: write.key });
    if (field.source) throw new AppError('FORM_FIELD_READONLY', `“${field.label}”取自申请人身份信息，不能在表上修改`, 400, { key: write.key });
    const value = normalize(field, write.value);
    checkValue(field, value);
    const current: FormValue | undefined = form.values[write.key];
    if ((current?.rev ?? 0) !== write.expectedRev) {
      const who = current ? `${current.byName}刚把它改为“${current.value}”` : '对方刚修改了它';
      throw new AppError('FORM_FIELD_CONFLICT', `“${field.label}”已被${who}，您填写的内容未保存，请核对后再保存`, 409, {
        key: write.key,
        ...(current ? { current } : {}),
      });
    }
    const changesBySide = chargeSide(form.changesBySide, side, MAX_FORM_CHANGES_PER_SIDE, {
      budget: 'formChangesPerSide',
      message: '本方对本办件申请表的修改次数已达上限，请联系大厅技术人员 (form changes)',
    });
    const actor = actorOf(principal);
    const rev = (current?.rev ?? 0) + 1;
    form.values[write.key] = { value, rev, side, by: actor.id, byName: principal.kind === 'staff' ? principal.name : actor.id, at: deps.clock().toISOString() };
    form.changes += 1;
    form.changesBySide = changesBySide;
    return { actor, action: 'form.filled', data: { key: write.key, rev, value } };
  });
  notifyCase(deps, record);
  return record;
}
