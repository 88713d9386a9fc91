import { byId, h, toast } from '../ui/dom';
import { adminApi, seg } from './adminApi';
import type { AdminData } from './AdminData';
import type { Counter, Hall } from './adminTypes';
import { check, editingId, emptyRow, fillSelect, onSubmit, runAction, setEditing, setValue, tableButton, valueOf } from './forms';
import { registerTerminal, setupTerminalResult, terminalStatus } from './terminals';

const CATALOG_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;
const CATALOG_ID_HINT = '只能包含小写字母、数字和连字符，2–63 个字符';

/** 大厅与窗口 tab: service halls, their 跨域通办 counters, and each counter's terminal device. */
export function setupHallsTab(data: AdminData): void {
  setupHalls(data);
  setupCounters(data);
}

function setupHalls(data: AdminData): void {
  const form = byId<HTMLFormElement>('hall-form');
  const idInput = byId<HTMLInputElement>('hall-id');

  const startEdit = (hall: Hall | undefined) => {
    form.reset();
    setEditing(form, idInput, hall?.id);
    if (hall) {
      setValue('hall-id', hall.id);
      setValue('hall-region', hall.regionCode);
      setValue('hall-name', hall.name);
      setValue('hall-address', hall.address);
      form.scrollIntoView({ block: 'nearest' });
    }
  };

  data.onChange(() => {
    fillSelect(byId<HTMLSelectElement>('hall-region'), data.lists.regions.map((r) => ({ value: r.code, label: `${r.name}（${r.code}）` })), '请选择地区');
    const rows = data.lists.halls.map((hall) =>
      h(
        'tr',
        { 'data-hall': hall.id },
        h('td', {}, hall.id),
        h('td', {}, hall.name),
        h('td', {}, data.regionName(hall.regionCode)),
        h('td', {}, hall.address),
        h(
          'td',
          { className: 'row-actions' },
          tableButton('编辑', 'edit', () => startEdit(hall)),
          tableButton('删除', 'delete', () =>
            void runAction(async () => {
              await adminApi('DELETE', `/api/admin/halls/${seg(hall.id)}`);
              toast(`已删除服务大厅 ${hall.name}`);
              await data.refresh('halls');
            }, `确定删除服务大厅“${hall.name}”吗？`),
          'danger'),
        ),
      ),
    );
    byId('halls-body').replaceChildren(...(rows.length ? rows : [emptyRow(5)]));
  });

  onSubmit(form, async () => {
    const hall: Hall = { id: valueOf('hall-id'), regionCode: valueOf('hall-region'), name: valueOf('hall-name'), address: valueOf('hall-address') };
    check(CATALOG_ID.test(hall.id), `大厅编号${CATALOG_ID_HINT}`);
    check(hall.regionCode !== '', '请选择所属地区');
    check(hall.name.length >= 2, '请填写大厅名称（至少 2 个字）');
    check(hall.address.length >= 2, '请填写大厅地址');
    const editing = editingId(form);
    if (editing) await adminApi('PUT', `/api/admin/halls/${seg(editing)}`, hall);
    else await adminApi('POST', '/api/admin/halls', hall);
    toast(editing ? `已保存服务大厅 ${hall.name}` : `已新增服务大厅 ${hall.name}`);
    startEdit(undefined);
    await data.refresh('halls');
  });
  form.querySelector('.form-cancel')?.addEventListener('click', () => startEdit(undefined));
  setEditing(form, idInput, undefined);
}

function setupCounters(data: AdminData): void {
  const form = byId<HTMLFormElement>('counter-form');
  const idInput = byId<HTMLInputElement>('counter-id');

  const startEdit = (counter: Counter | undefined) => {
    form.reset();
    setEditing(form, idInput, counter?.id);
    if (counter) {
      setValue('counter-id', counter.id);
      setValue('counter-hall', counter.hallId);
      setValue('counter-name', counter.name);
      form.scrollIntoView({ block: 'nearest' });
    }
  };

  data.onChange(() => {
    fillSelect(
      byId<HTMLSelectElement>('counter-hall'),
      data.lists.halls.map((hall) => ({ value: hall.id, label: `${hall.name}（${data.regionName(hall.regionCode)}）` })),
      '请选择大厅',
    );
    const terminals = new Map(data.lists.terminals.map((t) => [t.counterId, t]));
    const rows = data.lists.counters.map((counter) => {
      const terminal = terminals.get(counter.id);
      return h(
        'tr',
        { 'data-counter': counter.id },
        h('td', {}, counter.id),
        h('td', {}, counter.name),
        h('td', {}, data.hallName(counter.hallId)),
        h('td', { className: 'terminal-status' }, terminalStatus(terminal)),
        h(
          'td',
          { className: 'row-actions' },
          terminal ? null : tableButton('登记终端', 'register-terminal', () => void runAction(() => registerTerminal(data, counter)), 'secondary'),
          terminal && !terminal.revoked
            ? tableButton('停用终端', 'revoke-terminal', () =>
                void runAction(async () => {
                  await adminApi('POST', `/api/admin/terminals/${seg(counter.id)}/revoke`, {});
                  toast(`已停用窗口 ${counter.name} 的终端`);
                  await data.refresh('terminals');
                }, `停用后该终端立即断开且不能再办理业务。确定停用“${counter.name}”的终端吗？`),
              'danger')
            : null,
          tableButton('编辑', 'edit', () => startEdit(counter)),
          tableButton('删除', 'delete', () =>
            void runAction(async () => {
              await adminApi('DELETE', `/api/admin/counters/${seg(counter.id)}`);
              toast(`已删除窗口 ${counter.name}`);
              await data.refresh('counters');
            }, `确定删除窗口“${counter.name}”吗？`),
          'danger'),
        ),
      );
    });
    byId('counters-body').replaceChildren(...(rows.length ? rows : [emptyRow(5)]));
  });

  onSubmit(form, async () => {
    const counter: Counter = { id: valueOf('counter-id'), hallId: valueOf('counter-hall'), name: valueOf('counter-name') };
    check(CATALOG_ID.test(counter.id), `窗口编号${CATALOG_ID_HINT}`);
    check(counter.hallId !== '', '请选择所属大厅');
    check(counter.name !== '', '请填写窗口名称');
    const editing = editingId(form);
    if (editing) await adminApi('PUT', `/api/admin/counters/${seg(editing)}`, counter);
    else await adminApi('POST', '/api/admin/counters', counter);
    toast(editing ? `已保存窗口 ${counter.name}` : `已新增窗口 ${counter.name}`);
    startEdit(undefined);
    await data.refresh('counters');
  });
  form.querySelector('.form-cancel')?.addEventListener('click', () => startEdit(undefined));
  setEditing(form, idInput, undefined);
  setupTerminalResult();
}
