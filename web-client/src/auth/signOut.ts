import { requestJson } from './requestJson';

/** Ends the staff session (server deletes it, cookie cleared) and goes to the login page. */
export async function signOut(loc: Location = location): Promise<void> {
  try {
    await requestJson('POST', '/api/auth/logout', {});
  } finally {
    loc.assign('/login.html');
  }
}
