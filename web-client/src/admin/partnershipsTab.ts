import { byId, h, toast } from '../ui/dom';
import { adminApi, seg } from './adminApi';
import type { AdminData } from './AdminData';
import type { Partnership, PartnershipOffer } from './adminTypes';
import { check, checkedValues, editingId, emptyRow, fillChecks, fillSelect, onSubmit, runAction, setChecked, setEditing, setValue, tableButton, valueOf } from './forms';
import { DEFAULT_HOURS, formatServiceHours, ServiceHoursEditor } from './serviceHoursEditor';

/**
 * 合作关系 tab: pairs of regions, the items each side serves for the other's applicants (one
 * list per direction; a direction with no items is simply not offered), service hours, on/off.
 */
export function setupPartnershipsTab(data: AdminData): void {
  const form = byId<HTMLFormElement>('partnership-form');
  const idInput = byId<HTMLInputElement>('partnership-id');
  const regionA = byId<HTMLSelectElement>('partnership-region-a');
  const regionB = byId<HTMLSelectElement>('partnership-region-b');
  // Clerks of B serve applicants of A, and the other way round.
  const servedByB = byId('offer-served-by-b');
  const servedByA = byId('offer-served-by-a');
  const itemsOf = (box: HTMLElement) => box.querySelector<HTMLElement>('.check-list')!;
  const hours = new ServiceHoursEditor('partnership-weekdays', 'partnership-windows', 'btn-add-window');

  const labelDirections = () => {
    const a = regionA.value ? data.regionName(regionA.value) : '甲方';
    const b = regionB.value ? data.regionName(regionB.value) : '乙方';
    servedByB.querySelector('legend')!.textContent = `${b} 为 ${a} 的申请人办理的事项`;
    servedByA.querySelector('legend')!.textContent = `${a} 为 ${b} 的申请人办理的事项`;
  };
  regionA.addEventListener('change', labelDirections);
  regionB.addEventListener('change', labelDirections);

  const startEdit = (p: Partnership | undefined) => {
    form.reset();
    setEditing(form, idInput, p?.id);
    hours.set(p?.serviceHours ?? DEFAULT_HOURS);
    const offerServedBy = (region: string | undefined) => p?.offers.find((o) => o.servingRegion === region)?.itemCodes ?? [];
    setChecked(itemsOf(servedByB), offerServedBy(p?.regions[1]));
    setChecked(itemsOf(servedByA), offerServedBy(p?.regions[0]));
    if (p) {
      setValue('partnership-id', p.id);
      setValue('partnership-name', p.name);
      regionA.value = p.regions[0];
      regionB.value = p.regions[1];
      byId<HTMLInputElement>('partnership-active').checked = p.active;
      form.scrollIntoView({ block: 'nearest' });
    }
    labelDirections();
  };

  const save = async (p: Partnership, editing: string | undefined) => {
    if (editing) await adminApi('PUT', `/api/admin/partnerships/${seg(editing)}`, p);
    else await adminApi('POST', '/api/admin/partnerships', p);
  };

  data.onChange(() => {
    const regions = data.lists.regions.map((r) => ({ value: r.code, label: `${r.name}（${r.code}）` }));
    fillSelect(regionA, regions, '请选择地区');
    fillSelect(regionB, regions, '请选择地区');
    const items = data.lists.items.map((i) => ({ value: i.code, label: i.name, hint: i.code }));
    fillChecks(itemsOf(servedByB), items);
    fillChecks(itemsOf(servedByA), items);
    labelDirections();

    const rows = data.lists.partnerships.map((p) =>
      h(
        'tr',
        { 'data-partnership': p.id },
        h('td', {}, p.id),
        h('td', {}, p.name),
        h('td', {}, p.regions.map((r) => data.regionName(r)).join(' — ')),
        h(
          'td',
          {},
          ...p.offers.map((o) =>
            h('div', { title: o.itemCodes.map((c) => data.itemName(c)).join('、') }, `${data.regionName(o.servingRegion)} → ${data.regionName(o.applicantRegion)}：${o.itemCodes.length} 项`),
          ),
        ),
        h('td', {}, formatServiceHours(p.serviceHours)),
        h('td', {}, h('span', { className: `badge ${p.active ? 'q-good' : 'q-poor'}`, 'data-active': String(p.active) }, p.active ? '启用' : '停用')),
        h(
          'td',
          { className: 'row-actions' },
          tableButton('编辑', 'edit', () => startEdit(p)),
          tableButton(p.active ? '停用' : '启用', 'toggle-active', () =>
            void runAction(
              async () => {
                await save({ ...p, active: !p.active }, p.id);
                toast(`合作关系 ${p.name} 已${p.active ? '停用' : '启用'}`);
                await data.refresh('partnerships');
              },
              p.active ? `停用后两地窗口终端将不能再发起“${p.name}”的办件。确定停用吗？` : undefined,
            ),
          ),
          tableButton('删除', 'delete', () =>
            void runAction(async () => {
              await adminApi('DELETE', `/api/admin/partnerships/${seg(p.id)}`);
              toast(`已删除合作关系 ${p.name}`);
              await data.refresh('partnerships');
            }, `确定删除合作关系“${p.name}”吗？`),
          'danger'),
        ),
      ),
    );
    byId('partnerships-body').replaceChildren(...(rows.length ? rows : [emptyRow(7)]));
  });

  onSubmit(form, async () => {
    const id = valueOf('partnership-id');
    const name = valueOf('partnership-name');
    const a = regionA.value;
    const b = regionB.value;
    check(/^[a-z0-9][a-z0-9-]{1,62}$/.test(id), '编号只能包含小写字母、数字和连字符，2–63 个字符');
    check(name.length >= 2, '请填写合作关系名称（至少 2 个字）');
    check(a !== '' && b !== '', '请选择合作双方地区');
    check(a !== b, '合作双方不能是同一地区');
    const offers: PartnershipOffer[] = [
      { servingRegion: b, applicantRegion: a, itemCodes: checkedValues(itemsOf(servedByB)) },
      { servingRegion: a, applicantRegion: b, itemCodes: checkedValues(itemsOf(servedByA)) },
    ].filter((o) => o.itemCodes.length > 0);
    check(offers.length > 0, '请至少为一个方向选择办理事项');
    const partnership: Partnership = {
      id,
      name,
      regions: [a, b],
      offers,
      serviceHours: hours.read(),
      active: byId<HTMLInputElement>('partnership-active').checked,
    };
    const editing = editingId(form);
    try {
      await save(partnership, editing);
    } catch (e) {
      // Refused for something that vanished meanwhile (an item, a region): show the current lists.
      await data.refresh('regions', 'items', 'partnerships').catch(() => undefined);
      throw e;
    }
    toast(editing ? `已保存合作关系 ${name}` : `已新增合作关系 ${name}`);
    startEdit(undefined);
    await data.refresh('partnerships');
  });
  form.querySelector('.form-cancel')?.addEventListener('click', () => startEdit(undefined));
  startEdit(undefined);
}
