import { byId, h, toast } from '../ui/dom';
import { adminApi, seg } from './adminApi';
import type { AdminData } from './AdminData';
import type { Region } from './adminTypes';
import { check, editingId, emptyRow, onSubmit, runAction, setEditing, setValue, tableButton, valueOf } from './forms';

/** 地区 tab: the regions of the catalogue (GB/T 2260 codes); create, rename, delete. */
export function setupRegionsTab(data: AdminData): void {
  const form = byId<HTMLFormElement>('region-form');
  const idInput = byId<HTMLInputElement>('region-code');

  const startEdit = (r: Region | undefined) => {
    form.reset();
    setEditing(form, idInput, r?.code);
    if (r) {
      setValue('region-code', r.code);
      setValue('region-name', r.name);
      setValue('region-province', r.province);
      form.scrollIntoView({ block: 'nearest' });
    }
  };

  const render = () => {
    const rows = data.lists.regions.map((r) =>
      h(
        'tr',
        { 'data-region': r.code },
        h('td', {}, r.code),
        h('td', {}, r.name),
        h('td', {}, r.province),
        h(
          'td',
          { className: 'row-actions' },
          tableButton('编辑', 'edit', () => startEdit(r)),
          tableButton('删除', 'delete', () =>
            void runAction(async () => {
              await adminApi('DELETE', `/api/admin/regions/${seg(r.code)}`);
              toast(`已删除地区 ${r.name}`);
              await data.refresh('regions');
            }, `确定删除地区“${r.name}”（${r.code}）吗？`),
          'danger'),
        ),
      ),
    );
    byId('regions-body').replaceChildren(...(rows.length ? rows : [emptyRow(4)]));
  };

  onSubmit(form, async () => {
    const code = valueOf('region-code');
    const name = valueOf('region-name');
    const province = valueOf('region-province');
    check(/^[1-9]\d{5}$/.test(code), '行政区划代码应为 6 位数字（首位不为 0）');
    check(name.length >= 2, '请填写地区名称（至少 2 个字）');
    check(province.length >= 2, '请填写所属省份（至少 2 个字）');
    const editing = editingId(form);
    const region: Region = { code, name, province };
    if (editing) await adminApi('PUT', `/api/admin/regions/${seg(editing)}`, region);
    else await adminApi('POST', '/api/admin/regions', region);
    toast(editing ? `已保存地区 ${name}` : `已新增地区 ${name}`);
    startEdit(undefined);
    await data.refresh('regions');
  });
  form.querySelector('.form-cancel')?.addEventListener('click', () => startEdit(undefined));
  setEditing(form, idInput, undefined);
  data.onChange(render);
}
