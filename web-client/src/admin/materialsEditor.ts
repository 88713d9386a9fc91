import { byId, h } from '../ui/dom';
import type { MaterialRequirement } from './adminTypes';
import { check } from './forms';

const MATERIAL_ID = /^[a-z0-9][a-z0-9_-]{0,39}$/;

/**
 * The 申请材料 rows of the item form: each row is one checklist line of every future case (编号,
 * 名称, 必需, 说明). A blank 编号 gets a generated one, since the id only has to be stable, not
 * meaningful; ids are never changed for existing rows, because open cases refer to them.
 */
export class MaterialsEditor {
  readonly #body: HTMLTableSectionElement;

  constructor(bodyId: string, addButtonId: string) {
    this.#body = byId<HTMLTableSectionElement>(bodyId);
    byId(addButtonId).addEventListener('click', () => {
      this.add();
      this.#body.querySelector<HTMLInputElement>('tr:last-child input.material-name')?.focus();
    });
  }

  /** Replaces every row with the saved materials of an item; their ids are fixed from now on. */
  set(materials: readonly MaterialRequirement[]): void {
    this.#body.replaceChildren();
    for (const m of materials) this.add(m, true);
  }

  /** Appends a row (blank, or filled from `m`); `saved` locks the id of a material already in use. */
  add(m?: MaterialRequirement, saved = false): void {
    const row: HTMLTableRowElement = h(
      'tr',
      { className: 'material-row' },
      h('td', {}, h('input', { className: 'material-id', maxlength: 40, placeholder: '如 id_card', value: m?.id ?? '', readonly: saved, title: saved ? '已保存材料的编号不可修改（办件清单按编号引用）' : undefined, 'aria-label': '材料编号' })),
      h('td', {}, h('input', { className: 'material-name', maxlength: 80, placeholder: '如 居民身份证', value: m?.name ?? '', 'aria-label': '材料名称' })),
      h('td', { className: 'center' }, h('input', { type: 'checkbox', className: 'material-mandatory', checked: m?.mandatory ?? true, 'aria-label': '必需' })),
      h('td', {}, h('input', { className: 'material-description', maxlength: 500, value: m?.description ?? '', 'aria-label': '说明' })),
      h('td', {}, h('button', { type: 'button', className: 'small danger', 'data-action': 'remove-material', onclick: () => row.remove() }, '删除')),
    );
    this.#body.append(row);
  }

  /** The rows as requirements; throws Invalid for a nameless row, a malformed or duplicate id. */
  read(): MaterialRequirement[] {
    const rows = [...this.#body.querySelectorAll<HTMLTableRowElement>('tr.material-row')];
    const values = rows.map((row) => ({
      id: row.querySelector<HTMLInputElement>('input.material-id')!.value.trim(),
      name: row.querySelector<HTMLInputElement>('input.material-name')!.value.trim(),
      mandatory: row.querySelector<HTMLInputElement>('input.material-mandatory')!.checked,
      description: row.querySelector<HTMLInputElement>('input.material-description')!.value.trim(),
    }));
    const given = values.map((v) => v.id).filter((id) => id !== '');
    const duplicate = given.find((id, i) => given.indexOf(id) !== i);
    check(duplicate === undefined, `材料编号“${duplicate}”重复`);
    const taken = new Set(given);
    let n = 0;
    return values.map((v, i) => {
      check(v.name !== '', `第 ${i + 1} 项申请材料未填写名称`);
      let id = v.id;
      if (id === '') {
        do id = `material-${++n}`;
        while (taken.has(id));
        taken.add(id);
      }
      check(MATERIAL_ID.test(id), `材料编号“${id}”只能包含小写字母、数字、_ 和 -，最多 40 个字符`);
      return { ...v, id };
    });
  }
}
