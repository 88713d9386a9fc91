import { ApiError } from './ApiError';

const SERVER_MESSAGES: Record<string, string> = {
  NETWORK_ERROR: '网络连接失败，请检查网络后重试。',
  BAD_RESPONSE: '服务器响应异常，请稍后重试。',
  RATE_LIMITED: '操作过于频繁，请稍后再试。',
  VALIDATION_FAILED: '填写的信息不正确，请检查后重试。',
  ORIGIN_NOT_ALLOWED: '请通过系统的正式网址访问。',
  UNAUTHENTICATED: '登录已失效，请重新登录。',
  FORBIDDEN: '您没有执行此操作的权限。',
  AUTH_INVITE_INVALID: '邀请链接无效，请核对链接是否完整，或联系管理员重新邀请。',
  AUTH_INVITE_EXPIRED: '邀请链接已过期，请联系管理员重新邀请。',
  AUTH_INVITE_USED: '该邀请链接已被使用。如需再次注册，请联系管理员重新邀请。',
  AUTH_BOOTSTRAP_CLOSED: '系统已有管理员，初始化链接已失效。',
  AUTH_CHALLENGE_INVALID: '验证已超时或已被使用，请重试。',
  AUTH_VERIFICATION_FAILED: '通行密钥验证失败，请重试。',
  AUTH_CREDENTIAL_UNKNOWN: '此通行密钥未在本系统注册，请使用受邀注册时创建的通行密钥。',
  AUTH_CREDENTIAL_REVOKED: '此通行密钥已被管理员停用，请联系管理员。',
  AUTH_CREDENTIAL_EXISTS: '此通行密钥已经注册过，无需重复注册。',
  AUTH_PASSKEY_NOT_DISCOVERABLE: '此设备无法保存通行密钥，请更换支持通行密钥的设备。',
  AUTH_STAFF_DISABLED: '您的账号已被停用，请联系管理员。',
  AUTH_SESSION_EXPIRED: '登录已超时，请重新登录。',
  AUTH_SESSION_INVALID: '登录已失效，请重新登录。',
  AUTH_ACTIVATION_INVALID: '激活链接无效、已使用或已过期，请联系管理员重新生成。',
  STAFF_NOT_FOUND: '未找到该工作人员。',
};

const WEBAUTHN_MESSAGES: Record<string, string> = {
  ERROR_CEREMONY_ABORTED: '操作已取消，请重试。',
  ERROR_INVALID_DOMAIN: '当前网址不安全或与系统配置不符，请通过系统的正式网址（https）访问。',
  ERROR_INVALID_RP_ID: '当前网址与系统配置不符，请通过系统的正式网址访问。',
  ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED: '此设备已为您注册过通行密钥，无需重复注册，请直接登录。',
  ERROR_AUTHENTICATOR_MISSING_DISCOVERABLE_CREDENTIAL_SUPPORT: '此认证器不支持通行密钥（可发现凭据），请更换设备。',
  ERROR_AUTHENTICATOR_MISSING_USER_VERIFICATION_SUPPORT: '此认证器不支持指纹、面容或 PIN 验证，请更换设备。',
  ERROR_AUTHENTICATOR_NO_SUPPORTED_PUBKEYCREDPARAMS_ALG: '此认证器不支持所需的加密算法，请更换设备。',
  ERROR_AUTHENTICATOR_GENERAL_ERROR: '认证器出现错误，请重试或更换设备。',
};

/** A clear Simplified-Chinese message for any error of the auth pages (server code, WebAuthn, network). */
export function authErrorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    const reason = typeof error.details?.reason === 'string' ? error.details.reason : undefined;
    const text = (reason && SERVER_MESSAGES[reason]) ?? SERVER_MESSAGES[error.code];
    return text ?? `操作失败（${error.code}），请稍后重试。`;
  }
  const e = error as { name?: string; code?: string } | undefined;
  if (e?.code && WEBAUTHN_MESSAGES[e.code]) return WEBAUTHN_MESSAGES[e.code] as string;
  if (e?.name === 'NotAllowedError') return '操作已取消或超时。请重试，并按提示完成指纹、面容或 PIN 验证。';
  if (e?.name === 'InvalidStateError') return '此设备已为您注册过通行密钥，请直接登录。';
  if (e?.name === 'SecurityError') return '当前网址不安全，请通过系统的正式网址（https）访问。';
  if (e?.name === 'NotSupportedError') return '当前浏览器或设备不支持通行密钥，请使用最新版浏览器。';
  return '操作失败，请稍后重试。';
}
