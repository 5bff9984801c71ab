// What every console page shares: who is signed in, which office, the catalogue of services, how an API
// failure is shown (a lost session returns to the sign-in form on the same address), and page timers.
import { t, has, language, formatNumber } from "../lib/i18n.js";
import { h, notice, replace } from "../lib/dom.js";
import { api, explain, ApiError } from "../lib/api.js";
import * as session from "../lib/session.js";

export const state = { me: null, onSessionLost: () => {} };

const OFFICE_KEY = "antre.staff.office";

/** The office the console works on: the account's own, or the one a national admin chose. */
export function officeCode() {
  if (state.me?.office_code) return state.me.office_code;
  return localStorage.getItem(OFFICE_KEY);
}

export function chooseOffice(code) {
  if (code) localStorage.setItem(OFFICE_KEY, code);
  else localStorage.removeItem(OFFICE_KEY);
}

const cache = new Map();

/** One GET per load for data that does not change during a shift (offices, services). */
export function cached(path) {
  if (!cache.has(path)) cache.set(path, api("GET", path).catch((err) => { cache.delete(path); throw err; }));
  return cache.get(path);
}

export function office() {
  return cached(`/api/v1/offices/${encodeURIComponent(officeCode())}`);
}

export async function serviceNames() {
  const services = await cached("/api/v1/services");
  return Object.fromEntries(services.map((s) => [s.code, language() === "en" && s.name_en ? s.name_en : s.name]));
}

/** Show ``err`` in ``target`` (replacing what it held), with the advice for its code when there is one. A
 * lost session instead shows the sign-in form; after signing in the same page comes back. ``focus``: after
 * something the person pressed, focus moves to the error (never for a page's own timed refresh). */
export function fail(target, err, { focus = false } = {}) {
  if (err instanceof ApiError && (err.code === "SESSION_EXPIRED" || err.status === 401)) {
    session.clear();
    state.me = null;
    sessionStorage.setItem("antre.staff.reason", t("err.session"));
    state.onSessionLost();
    return;
  }
  const advice = err instanceof ApiError && hasAdvice(err.code) ? t(`advice.${err.code}`) : null;
  replace(target, h("div", { class: "notice notice-error", role: "alert" }, h("p", null, explain(err)), advice ? h("p", null, advice) : null));
  target.hidden = false;
  if (focus) target.focus();
}

function hasAdvice(code) {
  return has(`advice.${code}`);
}

/** The ticket number, large, as the visitor must hear it. */
export function ticketPanel(title, ticket, names, extra) {
  return h("div", { class: "panel staff-ticket", role: "status" },
    h("h2", null, title),
    h("p", { class: "muted" }, t("ticket.number")),
    h("p", { class: "ticket-number" }, ticket.ticket_number),
    h("p", null, names[ticket.service_code] || ticket.service_code),
    ticket.priority ? h("p", null, h("span", { class: "tag wait" }, t(`priority.${ticket.priority}`))) : null,
    extra,
  );
}

/** Today's date in the office's time zone, "YYYY-MM-DD". */
export function todayIn(timeZone, plusDays = 0) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
  const d = new Date(`${parts}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + plusDays);
  return d.toISOString().slice(0, 10);
}

export function num(value, digits = 1) {
  if (value === null || value === undefined) return "–";
  return formatNumber(Math.round(value * 10 ** digits) / 10 ** digits);
}

// Timers of the page on screen; the router stops them when another page opens.
let timers = [];
export function every(ms, fn) {
  timers.push(setInterval(fn, ms));
}
export function stopTimers() {
  timers.forEach(clearInterval);
  timers = [];
}

export function errorBox() {
  return h("div", { class: "staff-error", tabindex: "-1", hidden: true });
}

export function okNotice(text) {
  return notice(text, "ok");
}
