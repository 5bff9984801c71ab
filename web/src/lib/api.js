// The JSON API, exactly as a mobile app would use it. Every failure becomes an ApiError the pages can
// explain: the API's own code, detail (already in the page's language) and field errors, Retry-After on 429
// and 503, and "NETWORK" when the request never got an answer.
import { language, t } from "./i18n.js";
import * as session from "./session.js";

export class ApiError extends Error {
  constructor(status, body = {}, retryAfter = null) {
    super(body.detail || body.code || `HTTP ${status}`);
    this.status = status;
    this.code = body.code || (status === 0 ? "NETWORK" : `HTTP_${status}`);
    this.detail = body.detail;
    this.errors = body.errors || {};
    this.body = body;
    this.retryAfter = retryAfter;
  }
}

let refreshing = null;

async function refresh() {
  const current = session.load();
  if (!current?.refresh) return false;
  refreshing ||= send("POST", "/api/v1/auth/refresh", { body: { refresh_token: current.refresh } })
    .then((tokens) => {
      session.save(tokens);
      return true;
    })
    .catch((err) => {
      if (err.status === 401 || err.status === 400) session.clear();
      return false;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

async function send(method, path, { body, form, auth, headers = {}, accept = "application/json", raw = false } = {}) {
  const init = { method, headers: { Accept: accept, "Accept-Language": language(), ...headers }, credentials: "omit" };
  if (auth) {
    const token = session.load()?.access;
    if (token) init.headers.Authorization = `Bearer ${token}`;
  }
  if (form) init.body = form;
  else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, {});
  }
  if (response.ok) {
    if (raw) return response;
    if (response.status === 204) return null;
    const type = response.headers.get("Content-Type") || "";
    return type.includes("json") ? response.json() : response.text();
  }
  let problem = {};
  try {
    problem = await response.json();
  } catch (e) {
    /* not JSON: keep the status */
  }
  const retry = Number(response.headers.get("Retry-After")) || null;
  throw new ApiError(response.status, problem, retry);
}

/** ``await api("GET", "/api/v1/bookings", {auth: true})``; a 401 refreshes the session once and retries. */
export async function api(method, path, options = {}) {
  try {
    return await send(method, path, options);
  } catch (err) {
    if (err.status === 401 && options.auth && (await refresh())) return send(method, path, options);
    if (err.status === 401 && options.auth) err.code = "SESSION_EXPIRED";
    throw err;
  }
}

/** What to tell a person about ``err``, in the page's language, with what to do next. */
export function explain(err) {
  if (!(err instanceof ApiError)) return t("err.generic");
  if (err.code === "NETWORK") return t("err.network");
  if (err.code === "SESSION_EXPIRED") return t("err.session");
  if (err.status === 429) return t("err.rateLimited", { seconds: err.retryAfter || 60 });
  if (err.status === 503) {
    const part = err.body.service || err.body.component;
    return part ? t("err.unavailable", { part: t(`part.${part}`) }) : t("err.unavailableAny");
  }
  if (err.status >= 500) return t("err.generic");
  return err.detail || t("err.generic");
}

/** A key that makes a retried POST return the first result instead of doing it twice. */
export function idempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
