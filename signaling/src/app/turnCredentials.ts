import { createHmac } from 'node:crypto';
import type { Principal } from '../auth/Principal.js';
import type { IceServer } from '../calls/CallService.js';
import type { Config } from '../config.js';

/**
 * ICE servers for a client: coturn's REST-API scheme (`use-auth-secret`): the username is
 * `<expiry>:<who>` and the password HMAC-SHA1(secret, username), valid for `rtc.turnTtlSeconds`
 * (RVW_TURN_TTL_SECONDS, 12 h by default: a session longer than that needs fresh ones). No TURN
 * configured → no ICE servers (loopback and open networks need none: mediasoup is ICE-lite).
 */
export function turnCredentials(rtc: Config['rtc'], principal: Principal, clock: () => Date): IceServer[] {
  if (!rtc.turnUrls.length || !rtc.turnSecret) return [];
  const expiry = Math.floor(clock().getTime() / 1000) + rtc.turnTtlSeconds;
  const who = principal.kind === 'staff' ? principal.staffId : principal.kind === 'counter' ? principal.counterId : 'anon';
  const username = `${expiry}:${who}`;
  const credential = createHmac('sha1', rtc.turnSecret).update(username).digest('base64');
  return [{ urls: rtc.turnUrls, username, credential }];
}
