import { byId, h, toast } from '../ui/dom';
import { adminApi } from './adminApi';
import type { AdminData } from './AdminData';
import type { Counter, RegisteredTerminal, Terminal } from './adminTypes';
import { wireCopyButton } from './copyField';
import { check } from './forms';
import { formatTime } from './labels';

/**
 * Counter terminal devices: a catalogue counter gets one registered device. Registration answers
 * a one-time activation link (and a long-lived device secret) that exist nowhere else afterwards,
 * so they are shown once, here, and wiped from the page when the panel is closed.
 */
export async function registerTerminal(data: AdminData, counter: Counter): Promise<void> {
  const hall = data.lists.halls.find((x) => x.id === counter.hallId);
  check(hall !== undefined, `未找到窗口“${counter.name}”所属的服务大厅 ${counter.hallId}`);
  const registered = await adminApi<RegisteredTerminal>('POST', '/api/admin/terminals', {
    counterId: counter.id,
    hallId: hall.id,
    regionCode: hall.regionCode,
    name: counter.name,
  });
  byId('terminal-result-name').textContent = `${counter.name}（${counter.id}）`;
  byId('terminal-result-expires').textContent = formatTime(registered.activationExpiresAt);
  byId<HTMLInputElement>('activation-url').value = registered.activationUrl;
  byId<HTMLInputElement>('device-secret').value = registered.deviceSecret;
  const panel = byId('terminal-result');
  panel.dataset.counter = counter.id;
  panel.classList.remove('hidden');
  panel.scrollIntoView({ block: 'nearest' });
  toast(`已登记窗口 ${counter.name} 的终端`);
  await data.refresh('terminals');
}

/** Wires the copy and close buttons of the one-time activation panel. */
export function setupTerminalResult(): void {
  wireCopyButton('btn-copy-activation', 'activation-url');
  wireCopyButton('btn-copy-secret', 'device-secret');
  byId('btn-close-terminal-result').addEventListener('click', () => {
    byId<HTMLInputElement>('activation-url').value = '';
    byId<HTMLInputElement>('device-secret').value = '';
    byId('terminal-result').classList.add('hidden');
  });
}

/** The terminal column of a counter row: not registered / waiting for activation / active / revoked. */
export function terminalStatus(terminal: Terminal | undefined): HTMLElement {
  if (!terminal) return h('span', { className: 'badge', 'data-status': 'none' }, '未登记');
  if (terminal.revoked) {
    return h('span', {}, h('span', { className: 'badge q-poor', 'data-status': 'revoked' }, '已停用'), h('div', { className: 'hint' }, `${formatTime(terminal.revokedAt)} 停用；如需更换终端，请新建窗口`));
  }
  if (!terminal.activatedAt) return h('span', {}, h('span', { className: 'badge q-fair', 'data-status': 'pending' }, '待激活'), h('div', { className: 'hint' }, `${formatTime(terminal.createdAt)} 登记`));
  return h('span', {}, h('span', { className: 'badge q-good', 'data-status': 'active' }, '已激活'), h('div', { className: 'hint' }, `${formatTime(terminal.activatedAt)} 激活`));
}
