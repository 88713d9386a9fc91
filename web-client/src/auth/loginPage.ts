import { browserSupportsWebAuthn, startAuthentication, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import { authErrorMessage } from './authErrorMessage';
import { requestJson } from './requestJson';
import { showStatus } from './showStatus';

/** What a failed passkey prompt most often means at sign-in, and what to do about it. */
export const NO_PASSKEY_MESSAGE = '此设备上没有可用的通行密钥，请使用已登记的设备登录，或请管理员重新发送邀请。如果您刚才取消了验证，请再点一次“使用通行密钥登录”。';

/** Wires login.html: 「使用通行密钥登录」 runs a usernameless passkey sign-in, then goes to the role's page. */
export function loginPage(doc: Document = document): void {
  const button = doc.querySelector<HTMLButtonElement>('#login');
  const status = doc.querySelector<HTMLElement>('#status');
  if (!button || !status) return;
  const reason = new URLSearchParams(doc.location.search).get('reason');
  if (reason === 'AUTH_SESSION_EXPIRED') showStatus(status, 'info', '登录已超时，请重新登录。');
  else if (reason) showStatus(status, 'info', '登录已失效，请重新登录。');
  if (!browserSupportsWebAuthn()) {
    button.disabled = true;
    showStatus(status, 'error', '当前浏览器不支持通行密钥，请使用最新版 Chrome、Edge 或 Safari。');
    return;
  }
  button.addEventListener('click', () => {
    void (async () => {
      button.disabled = true;
      showStatus(status, 'busy', '请按提示完成指纹、面容或 PIN 验证…');
      try {
        const { options } = await requestJson<{ options: PublicKeyCredentialRequestOptionsJSON }>('POST', '/api/auth/login/options', {});
        const response = await startAuthentication({ optionsJSON: options });
        const result = await requestJson<{ redirect: string; principal: { name: string } }>('POST', '/api/auth/login/verify', { response });
        showStatus(status, 'ok', '登录成功，正在进入工作台…');
        doc.location.assign(result.redirect);
      } catch (error) {
        // The browser answers NotAllowedError both when the person cancels and when this device
        // holds no passkey for us; the second is the one that needs telling where to go next.
        const notAllowed = (error as { name?: string } | undefined)?.name === 'NotAllowedError';
        showStatus(status, 'error', notAllowed ? NO_PASSKEY_MESSAGE : authErrorMessage(error));
        button.disabled = false;
      }
    })();
  });
}

loginPage();
