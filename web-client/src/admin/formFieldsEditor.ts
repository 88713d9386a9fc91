import { FORM_FIELD_SOURCES, FORM_FIELD_TYPES, type FormFieldSource, type FormFieldType } from '@rvw/protocol/vocabulary';
import { byId, h } from '../ui/dom';
import type { FormField } from './adminTypes';
import { check } from './forms';

const FORM_KEY = /^[a-z][a-z0-9_]{0,39}$/;

const TYPE_LABELS: Readonly<Record<FormFieldType, string>> = { text: '单行文字', textarea: '多行文字', date: '日期', select: '下拉选择', number: '数字' };
const SOURCE_LABELS: Readonly<Record<FormFieldSource, string>> = { 'applicant.name': '申请人姓名', 'applicant.idNumber': '申请人身份证号', 'applicant.phone': '申请人电话' };

/**
 * The 申请表 rows of the item form (#18): each row is one entry of the form both sides fill on
 * the call (编号, 名称, 类型, 选项, 取自, 必填, 需申请人确认, 填写提示). An entry "取自" the applicant
 * is shown from the case, not typed. A saved entry's 编号 is fixed: open cases' values refer to it.
 */
export class FormFieldsEditor {
  readonly #body: HTMLTableSectionElement;

  constructor(bodyId: string, addButtonId: string) {
    this.#body = byId<HTMLTableSectionElement>(bodyId);
    byId(addButtonId).addEventListener('click', () => {
      this.add();
      this.#body.querySelector<HTMLInputElement>('tr:last-child input.form-label')?.focus();
    });
  }

  /** Replaces every row with an item's saved form. */
  set(fields: readonly FormField[]): void {
    this.#body.replaceChildren();
    for (const f of fields) this.add(f, true);
  }

  /** Appends a row (blank, or filled from `f`); `saved` locks its key. */
  add(f?: FormField, saved = false): void {
    const select = (cls: string, label: string, options: [string, string][], value: string) =>
      h('select', { className: cls, 'aria-label': label }, ...options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
    const row: HTMLTableRowElement = h(
      'tr',
      { className: 'form-field-row' },
      h('td', {}, h('input', { className: 'form-key', maxlength: 40, placeholder: '如 bank_name', value: f?.key ?? '', readonly: saved, title: saved ? '已保存表单项的编号不可修改（办件按编号保存填写内容）' : undefined, 'aria-label': '表单项编号' })),
      h('td', {}, h('input', { className: 'form-label', maxlength: 40, placeholder: '如 开户银行', value: f?.label ?? '', 'aria-label': '表单项名称' })),
      h('td', {}, select('form-type', '类型', FORM_FIELD_TYPES.map((t) => [t, TYPE_LABELS[t]]), f?.type ?? 'text')),
      h('td', {}, h('input', { className: 'form-options', maxlength: 600, placeholder: '下拉选项，用“、”分隔', value: f?.options?.join('、') ?? '', 'aria-label': '下拉选项' })),
      h('td', {}, select('form-source', '取自', [['', '双方填写'], ...FORM_FIELD_SOURCES.map((s): [string, string] => [s, SOURCE_LABELS[s]])], f?.source ?? '')),
      h('td', { className: 'center' }, h('input', { type: 'checkbox', className: 'form-required', checked: f?.required ?? false, 'aria-label': '必填' })),
      h('td', { className: 'center' }, h('input', { type: 'checkbox', className: 'form-confirm', checked: f?.confirm ?? true, 'aria-label': '需申请人签字确认' })),
      h('td', {}, h('input', { className: 'form-hint', maxlength: 100, value: f?.hint ?? '', 'aria-label': '填写提示' })),
      h('td', {}, h('button', { type: 'button', className: 'small danger', 'data-action': 'remove-form-field', onclick: () => row.remove() }, '删除')),
    );
    this.#body.append(row);
  }

  /** The rows as form entries; throws Invalid for an unnamed row, a bad or duplicate key, a select without options. */
  read(): FormField[] {
    const rows = [...this.#body.querySelectorAll<HTMLTableRowElement>('tr.form-field-row')];
    const get = (row: HTMLElement, cls: string) => row.querySelector<HTMLInputElement>(`.${cls}`)!;
    const fields = rows.map((row, i): FormField => {
      const key = get(row, 'form-key').value.trim();
      const label = get(row, 'form-label').value.trim();
      const type = get(row, 'form-type').value as FormFieldType;
      const options = get(row, 'form-options').value.split(/[、,，]/).map((o) => o.trim()).filter((o) => o !== '');
      const source = get(row, 'form-source').value as FormFieldSource | '';
      const hint = get(row, 'form-hint').value.trim();
      check(label !== '', `申请表第 ${i + 1} 项未填写名称`);
      check(FORM_KEY.test(key), `申请表“${label}”的编号应以小写字母开头，只含小写字母、数字和下划线，至多 40 个字符`);
      check(type !== 'select' || options.length > 0, `申请表“${label}”是下拉选择，请填写选项`);
      check(type === 'select' || options.length === 0, `申请表“${label}”不是下拉选择，不能填写选项`);
      return {
        key,
        label,
        type,
        required: get(row, 'form-required').checked,
        confirm: get(row, 'form-confirm').checked,
        ...(type === 'select' ? { options } : {}),
        ...(source ? { source } : {}),
        ...(hint ? { hint } : {}),
      };
    });
    const keys = fields.map((f) => f.key);
    const duplicate = keys.find((k, i) => keys.indexOf(k) !== i);
    check(duplicate === undefined, `申请表编号“${duplicate}”重复`);
    return fields;
  }
}
