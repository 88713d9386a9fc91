import { browserSupportsWebAuthn, startRegistration, type PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/browser';
import { authErrorMessage } from './authErrorMessage';
import { requestJson } from './requestJson';
import { showStatus } from './showStatus';

type Scope = { role: 'admin'; regionCodes: string[] } | { role: 'clerk'; regionCode: string; itemCodes: string[] };
interface InviteSummary {
  scope: Scope;
  existingStaff: boolean;
  expiresAt: number;
  /** Catalogue names of the codes the invite grants. */
  names?: { regions: Record<string, string>; items: Record<string, string> };
}

/** What the invite grants, in names a person recognises (codes only where the catalogue has none). */
function describeScope(summary: InviteSummary): string {
  const { scope } = summary;
  const region = (code: string) => summary.names?.regions[code] ?? code;
  const item = (code: string) => summary.names?.items[code] ?? code;
  if (scope.role === 'admin') {
    return scope.regionCodes.includes('*') ? '管理员（全省 / 全部地区）' : `管理员（地区：${scope.regionCodes.map(region).join('、')}）`;
  }
  return `异地窗口工作人员（地区：${region(scope.regionCode)}；事项：${scope.itemCodes.map(item).join('、')}）`;
}

/**
 * Wires enroll.html: reads the invite token from the URL fragment (then removes it from the
 * address bar), shows what the invite grants, asks the name and creates a passkey.
 */
export function enrollPage(doc: Document = document): void {
  const form = doc.querySelector<HTMLFormElement>('#enroll');
  const nameInput = doc.querySelector<HTMLInputElement>('#name');
  const nameRow = doc.querySelector<HTMLElement>('#name-row');
  const button = doc.querySelector<HTMLButtonElement>('#register');
  const scopeEl = doc.querySelector<HTMLElement>('#scope');
  const status = doc.querySelector<HTMLElement>('#status');
  const done = doc.querySelector<HTMLElement>('#done');
  if (!form || !nameInput || !nameRow || !button || !scopeEl || !status || !done) return;

  const token = doc.location.hash.replace(/^#/, '').trim();
  // The fragment is a one-time secret: keep it in memory only, not in the address bar or history.
  doc.defaultView?.history.replaceState(null, '', doc.location.pathname);
  if (!token) {
    showStatus(status, 'error', '链接不完整：缺少邀请码。请打开管理员发给您的完整邀请链接。');
    return;
  }
  if (!browserSupportsWebAuthn()) {
    showStatus(status, 'error', '当前浏览器不支持通行密钥，请使用最新版 Chrome、Edge 或 Safari。');
    return;
  }

  let invite: InviteSummary | undefined;
  void requestJson<InviteSummary>('POST', '/api/auth/invites/inspect', { token }).then(
    (summary) => {
      invite = summary;
      scopeEl.textContent = `您受邀注册为：${describeScope(summary)}`;
      nameRow.hidden = summary.existingStaff;
      nameInput.required = !summary.existingStaff;
      form.hidden = false;
      button.disabled = false;
      showStatus(status, 'info', summary.existingStaff ? '将为您的账号添加一个新的通行密钥。' : '请填写姓名，然后创建通行密钥。');
    },
    (error: unknown) => showStatus(status, 'error', authErrorMessage(error)),
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!invite) return;
    const name = nameInput.value.trim();
    if (!invite.existingStaff && !name) {
      showStatus(status, 'error', '请填写姓名。');
      nameInput.focus();
      return;
    }
    void (async () => {
      button.disabled = true;
      showStatus(status, 'busy', '请按提示完成指纹、面容或 PIN 验证…');
      try {
        const { options } = await requestJson<{ options: PublicKeyCredentialCreationOptionsJSON }>('POST', '/api/auth/register/options', {
          token,
          ...(invite?.existingStaff ? {} : { name }),
        });
        const response = await startRegistration({ optionsJSON: options });
        await requestJson('POST', '/api/auth/register/verify', { token, response });
        form.hidden = true;
        done.hidden = false;
        showStatus(status, 'ok', '注册成功！您的通行密钥已创建，请使用它登录。');
      } catch (error) {
        showStatus(status, 'error', authErrorMessage(error));
        button.disabled = false;
      }
    })();
  });
}

enrollPage();
