// The signed-in person's tokens, kept on this device so that a reload or a lost connection does not sign
// them out. The access token is short-lived; the refresh token rotates on every use (identity revokes the
// whole family if an old one is replayed). Each app keeps its own session (a citizen and an officer may
// share a counter PC), and signing out forgets only what that app kept.
let key = "antre.citizen.session";

/** ``useSession("staff")`` once at start: this app's tokens under their own key. */
export function useSession(app) {
  key = `antre.${app}.session`;
}

export function load() {
  try {
    return JSON.parse(localStorage.getItem(key) || "null");
  } catch (e) {
    return null;
  }
}

export function save(tokens) {
  localStorage.setItem(key, JSON.stringify({ access: tokens.access_token, refresh: tokens.refresh_token }));
}

/** Forget the tokens, and ``also`` (this app's other keys on the device). */
export function clear(also = []) {
  for (const name of [key, ...also]) localStorage.removeItem(name);
}

export function signedIn() {
  return Boolean(load()?.access);
}
