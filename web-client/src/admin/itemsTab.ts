import { byId, h, toast } from '../ui/dom';
import { adminApi, seg } from './adminApi';
import type { AdminData } from './AdminData';
import type { DocumentType, ServiceItem, ServiceLevel } from './adminTypes';
import { check, checkedValues, editingId, emptyRow, fillChecks, fillSelect, onSubmit, runAction, setChecked, setEditing, setValue, tableButton, valueOf } from './forms';
import { DOCUMENT_LABELS, LEVEL_LABELS } from './labels';
import { FormFieldsEditor } from './formFieldsEditor';
import { MaterialsEditor } from './materialsEditor';

/** 事项 tab: the standardised service items (事项编码, 名称, 设定依据, 层级, 申请材料, 时限, 出具文书, 申请表). */
export function setupItemsTab(data: AdminData): void {
  const form = byId<HTMLFormElement>('item-form');
  const idInput = byId<HTMLInputElement>('item-code');
  const documents = byId('item-documents');
  const materials = new MaterialsEditor('item-materials', 'btn-add-material');
  const formFields = new FormFieldsEditor('item-form-fields', 'btn-add-form-field');
  fillSelect(byId<HTMLSelectElement>('item-level'), Object.entries(LEVEL_LABELS).map(([value, label]) => ({ value, label })), '请选择办理层级');
  // The 申请表 is issued for every item with a form (defined below), not chosen here.
  fillChecks(documents, Object.entries(DOCUMENT_LABELS).filter(([value]) => value !== 'application_form').map(([value, label]) => ({ value, label })));

  const startEdit = (item: ServiceItem | undefined) => {
    form.reset();
    setEditing(form, idInput, item?.code);
    materials.set(item?.materials ?? []);
    formFields.set(item?.form ?? []);
    setChecked(documents, item?.issuedDocuments ?? []);
    if (!item) {
      // A new item starts with the one material every case needs.
      materials.add({ id: 'id_card', name: '居民身份证', mandatory: true, description: '' });
      return;
    }
    setValue('item-code', item.code);
    setValue('item-name', item.name);
    setValue('item-level', item.level);
    setValue('item-basis', item.legalBasis);
    setValue('item-statutory', item.statutoryDays);
    setValue('item-promised', item.promisedDays);
    form.scrollIntoView({ block: 'nearest' });
  };

  data.onChange(() => {
    const rows = data.lists.items.map((item) => {
      const mandatory = item.materials.filter((m) => m.mandatory).length;
      return h(
        'tr',
        { 'data-item': item.code },
        h('td', {}, item.code),
        h('td', {}, item.name),
        h('td', {}, LEVEL_LABELS[item.level] ?? item.level),
        h('td', { title: item.materials.map((m) => `${m.name}${m.mandatory ? '（必需）' : ''}`).join('、') }, `${item.materials.length} 项（必需 ${mandatory} 项）`),
        h('td', {}, item.statutoryDays === 0 ? '即办件' : `承诺 ${item.promisedDays} / 法定 ${item.statutoryDays} 个工作日`),
        h('td', {}, item.issuedDocuments.map((d) => DOCUMENT_LABELS[d] ?? d).join('、') || '—'),
        h(
          'td',
          { className: 'row-actions' },
          tableButton('编辑', 'edit', () => startEdit(item)),
          tableButton('删除', 'delete', () =>
            void runAction(async () => {
              await adminApi('DELETE', `/api/admin/items/${seg(item.code)}`);
              toast(`已删除事项 ${item.name}`);
              await data.refresh('items');
            }, `确定删除事项“${item.name}”（${item.code}）吗？`),
          'danger'),
        ),
      );
    });
    byId('items-body').replaceChildren(...(rows.length ? rows : [emptyRow(7)]));
  });

  onSubmit(form, async () => {
    const code = valueOf('item-code').toUpperCase();
    const statutory = valueOf('item-statutory');
    const promised = valueOf('item-promised');
    check(/^[0-9A-Z]{6,40}$/.test(code), '事项编码应为 6–40 位大写字母或数字');
    check(valueOf('item-name').length >= 2, '请填写事项名称（至少 2 个字）');
    check(valueOf('item-level') !== '', '请选择办理层级');
    check(valueOf('item-basis').length >= 2, '请填写设定依据');
    check(/^\d{1,3}$/.test(statutory) && Number(statutory) <= 365, '法定办结时限应为 0–365 的整数（工作日）');
    check(/^\d{1,3}$/.test(promised) && Number(promised) <= 365, '承诺办结时限应为 0–365 的整数（工作日）');
    check(Number(promised) <= Number(statutory), '承诺办结时限不得超过法定办结时限');
    const item: ServiceItem = {
      code,
      name: valueOf('item-name'),
      legalBasis: valueOf('item-basis'),
      level: valueOf('item-level') as ServiceLevel,
      materials: materials.read(),
      statutoryDays: Number(statutory),
      promisedDays: Number(promised),
      issuedDocuments: checkedValues(documents) as DocumentType[],
      form: formFields.read(),
    };
    const editing = editingId(form);
    if (editing) await adminApi('PUT', `/api/admin/items/${seg(editing)}`, item);
    else await adminApi('POST', '/api/admin/items', item);
    toast(editing ? `已保存事项 ${item.name}` : `已新增事项 ${item.name}`);
    startEdit(undefined);
    await data.refresh('items');
  });
  form.querySelector('.form-cancel')?.addEventListener('click', () => startEdit(undefined));
  startEdit(undefined);
}
