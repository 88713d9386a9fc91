import type { MePrincipal } from '../auth/requireSignedIn';
import { byId, h, toast } from '../ui/dom';
import { adminApi, seg } from './adminApi';
import type { AdminData } from './AdminData';
import type { CredentialView, IssuedInvite, PendingInvite, StaffView } from './adminTypes';
import { wireCopyButton } from './copyField';
import { check, checkedValues, emptyRow, fillChecks, fillSelect, onSubmit, runAction, tableButton } from './forms';
import { ANY_REGION, formatTime, ROLE_LABELS } from './labels';

/**
 * 人员 tab: the staff of the administrator's own regions (the server filters), their passkeys,
 * and one-time invites for new clerks (region + items) or administrators (regions).
 */
export function setupStaffTab(data: AdminData, me: Extract<MePrincipal, { role: 'admin' }>): void {
  const form = byId<HTMLFormElement>('invite-form');
  const role = byId<HTMLSelectElement>('invite-role');
  const region = byId<HTMLSelectElement>('invite-region');
  const items = byId('invite-items');
  const regions = byId('invite-regions');
  const provincial = me.regionCodes.includes(ANY_REGION);
  const manages = (code: string) => provincial || me.regionCodes.includes(code);

  const showRole = () => {
    const clerk = role.value === 'clerk';
    byId('invite-clerk-region-row').classList.toggle('hidden', !clerk);
    byId('invite-items-box').classList.toggle('hidden', !clerk);
    byId('invite-regions-box').classList.toggle('hidden', clerk);
  };
  role.addEventListener('change', showRole);

  // A clerk is usually invited for what their region serves; those items are listed first.
  const renderItems = () => {
    const served = new Set(
      data.lists.partnerships.flatMap((p) => p.offers.filter((o) => o.servingRegion === region.value).flatMap((o) => o.itemCodes)),
    );
    const sorted = [...data.lists.items].sort((x, y) => Number(served.has(y.code)) - Number(served.has(x.code)));
    fillChecks(items, sorted.map((i) => ({ value: i.code, label: i.name, hint: served.has(i.code) ? `${i.code} · 本地区已对外提供` : i.code })));
  };
  region.addEventListener('change', renderItems);

  const showInvite = (title: string, invite: IssuedInvite) => {
    byId('invite-result-title').textContent = title;
    byId('invite-result-expires').textContent = formatTime(invite.expiresAt);
    byId<HTMLInputElement>('invite-url').value = invite.url;
    byId('invite-result').classList.remove('hidden');
    byId('invite-result').scrollIntoView({ block: 'nearest' });
  };

  data.onChange(() => {
    const managed = data.lists.regions.filter((r) => manages(r.code)).map((r) => ({ value: r.code, label: `${r.name}（${r.code}）` }));
    fillSelect(region, managed, '请选择地区');
    renderItems();
    fillChecks(regions, [...(provincial ? [{ value: ANY_REGION, label: '全部地区（省级管理员）' }] : []), ...managed]);
    const rows = data.lists.staff.map((s) => staffRow(data, s, me.staffId, showInvite));
    byId('staff-body').replaceChildren(...(rows.length ? rows : [emptyRow(7)]));
    const invites = data.lists.invites.map((i) => inviteRow(data, i));
    byId('invites-body').replaceChildren(...(invites.length ? invites : [emptyRow(6, '没有尚未使用的邀请')]));
  });

  onSubmit(form, async () => {
    byId('invite-result').classList.add('hidden');
    let body: unknown;
    let title: string;
    if (role.value === 'clerk') {
      const itemCodes = checkedValues(items);
      check(region.value !== '', '请选择异地窗口工作人员所属地区');
      check(itemCodes.length > 0, '请至少选择一个负责办理的事项');
      body = { role: 'clerk', regionCode: region.value, itemCodes };
      title = `已生成${data.regionName(region.value)}异地窗口工作人员的邀请链接`;
    } else {
      const regionCodes = checkedValues(regions);
      check(regionCodes.length > 0, '请至少选择一个管理的地区');
      body = { role: 'admin', regionCodes };
      title = `已生成管理员（${regionCodes.map((c) => data.regionName(c)).join('、')}）的邀请链接`;
    }
    const invite = await adminApi<IssuedInvite>('POST', '/api/admin/invites', body);
    showInvite(title, invite);
    await data.refresh('invites');
  });
  wireCopyButton('btn-copy-invite', 'invite-url');
  showRole();
}

function staffRow(data: AdminData, s: StaffView, myId: string, showInvite: (title: string, invite: IssuedInvite) => void): HTMLTableRowElement {
  const refresh = () => data.refresh('staff');
  const isMe = s.id === myId;
  return h(
    'tr',
    { 'data-staff': s.id, className: s.disabled ? 'disabled' : '' },
    h('td', {}, s.name, isMe ? h('span', { className: 'hint' }, '（本人）') : null),
    h('td', {}, ROLE_LABELS[s.role]),
    h('td', {}, s.role === 'admin' ? s.regionCodes.map((c) => data.regionName(c)).join('、') : data.regionName(s.regionCode)),
    h('td', { className: 'small-text' }, s.role === 'clerk' ? s.itemCodes.map((c) => data.itemName(c)).join('、') : '—'),
    h('td', {}, ...(s.credentials.length ? s.credentials.map((c) => credentialLine(c, s, revocable(s, isMe), refresh)) : [h('span', { className: 'muted' }, '尚未注册')])),
    h('td', {}, h('span', { className: `badge ${s.disabled ? 'q-poor' : 'q-good'}`, 'data-status': s.disabled ? 'disabled' : 'active' }, s.disabled ? '已停用' : '正常')),
    h(
      'td',
      { className: 'row-actions' },
      s.disabled
        ? null
        : tableButton('补发注册链接', 'invite-passkey', () =>
            void runAction(async () => {
              const invite = await adminApi<IssuedInvite>('POST', '/api/admin/invites', { staffId: s.id });
              showInvite(`已为 ${s.name} 生成添加通行密钥的链接`, invite);
              await data.refresh('invites');
            }),
          ),
      s.disabled || isMe
        ? null
        : tableButton('停用账号', 'disable', () =>
            void runAction(async () => {
              await adminApi('POST', `/api/admin/staff/${seg(s.id)}/disable`, {});
              toast(`已停用 ${s.name} 的账号`);
              await refresh();
            }, `停用后 ${s.name} 将立即被退出登录，且不能再登录。确定停用吗？`),
          'danger'),
    ),
  );
}

/** A pending invite: what it grants, when it lapses, and 撤销 (its link stops working at once). */
function inviteRow(data: AdminData, i: PendingInvite): HTMLTableRowElement {
  const scope = i.scope;
  const who = i.staffId ? `${i.staffName ?? '已有人员'}（补发通行密钥）` : scope?.role === 'admin' ? ROLE_LABELS.admin : ROLE_LABELS.clerk;
  const regions = scope ? (scope.role === 'admin' ? scope.regionCodes : [scope.regionCode]).map((c) => data.regionName(c)).join('、') : '—';
  const items = scope?.role === 'clerk' ? scope.itemCodes.map((c) => data.itemName(c)).join('、') : '—';
  return h(
    'tr',
    { 'data-invite': i.id },
    h('td', {}, who),
    h('td', {}, regions),
    h('td', { className: 'small-text' }, items),
    h('td', {}, formatTime(i.createdAt)),
    h('td', {}, formatTime(i.expiresAt)),
    h(
      'td',
      { className: 'row-actions' },
      tableButton('撤销', 'revoke-invite', () =>
        void runAction(async () => {
          await adminApi('POST', `/api/admin/invites/${seg(i.id)}/revoke`, {});
          toast('邀请已撤销，该链接已失效');
          await data.refresh('invites');
        }, '撤销后该邀请链接将立即失效。确定撤销吗？'),
      'danger'),
    ),
  );
}

// Revoking one's own last passkey would lock the administrator out of this page for good.
function revocable(s: StaffView, isMe: boolean): boolean {
  return !s.disabled && (!isMe || s.credentials.filter((c) => !c.revoked).length > 1);
}

function credentialLine(c: CredentialView, owner: StaffView, canRevoke: boolean, refresh: () => Promise<void>): HTMLElement {
  const when = `注册于 ${formatTime(c.createdAt)}${c.lastUsedAt ? `，最近使用 ${formatTime(c.lastUsedAt)}` : ''}`;
  return h(
    'div',
    { className: 'credential', 'data-credential': c.credentialId },
    c.revoked ? h('span', { className: 'badge q-poor' }, '已吊销') : h('span', { className: 'badge' }, '有效'),
    h('span', { className: 'hint' }, ` ${when} `),
    c.revoked || !canRevoke
      ? null
      : tableButton('吊销', 'revoke-credential', () =>
          void runAction(async () => {
            await adminApi('POST', `/api/admin/credentials/${seg(c.credentialId)}/revoke`, {});
            toast(`已吊销 ${owner.name} 的一个通行密钥`);
            await refresh();
          }, `吊销后 ${owner.name} 将立即被退出登录，且不能再用该通行密钥登录。确定吊销吗？`),
        'danger'),
  );
}
