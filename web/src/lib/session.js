// The signed-in person's tokens, kept on this device so that a reload or a lost connection does not sign
// them out. The access token is short-lived; the refresh token rotates on every use (identity revokes the
// whole family if an old one is replayed). Signing out forgets everything this app saved on the device.
const KEY = "antre.session";

export function load() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || "null");
  } catch (e) {
    return null;
  }
}

export function save(tokens) {
  localStorage.setItem(KEY, JSON.stringify({ access: tokens.access_token, refresh: tokens.refresh_token }));
}

export function clear() {
  const keep = localStorage.getItem("antre.lang");
  localStorage.clear();
  sessionStorage.clear();
  if (keep) localStorage.setItem("antre.lang", keep);
}

export function signedIn() {
  return Boolean(load()?.access);
}
