import { requestJson } from './requestJson';

/** The counter as the activation answer describes it. */
export interface ActivatedCounter {
  counterId: string;
  hallId: string;
  regionCode: string;
  name: string;
}

/**
 * For counter.html: when opened as `/counter.html#activate=<token>`, removes the token from the
 * address bar and POSTs it to `/api/auth/counter/activate`, which sets the device cookie `rvw_dev`.
 * Resolves to the activated counter, or undefined when the URL carries no activation token;
 * rejects with ApiError (e.g. `AUTH_ACTIVATION_INVALID`; show it with `authErrorMessage`).
 */
export async function activateCounterFromHash(loc: Location = location, hist: History = history): Promise<ActivatedCounter | undefined> {
  const match = /^#activate=([A-Za-z0-9_-]+)$/.exec(loc.hash);
  if (!match?.[1]) return undefined;
  hist.replaceState(null, '', loc.pathname + loc.search);
  const { counter } = await requestJson<{ counter: ActivatedCounter }>('POST', '/api/auth/counter/activate', { token: match[1] });
  return counter;
}
