// Fair release and waitlist (issue 21): the waiting room of a quota release with the person's place and a
// progress bar, the waitlist with its offers (accept before the deadline), and the notices on the day page.
import { t, formatDate, formatTime, formatDateTime } from "../lib/i18n.js";
import { h, show, notice, button } from "../lib/dom.js";
import { api, explain } from "../lib/api.js";
import { go } from "../lib/router.js";
import * as session from "../lib/session.js";
import { page, needLogin, retryButton } from "./main.js";
import { getOffices, getServices, serviceName, saveBooking } from "./data.js";

const ADMISSION = "antre.admission";

/** The admission the waiting room gave for this office and day, if any (used by the booking). */
export function admissionFor(office, date) {
  return sessionStorage.getItem(`${ADMISSION}.${office}.${date}`) || undefined;
}

/** Releases of the office a person should go through (waiting room or open), as notices with a link. */
export async function releaseNotices(officeCode, serviceCode, office) {
  let releases = [];
  try {
    releases = await api("GET", `/api/v1/offices/${encodeURIComponent(officeCode)}/releases`);
  } catch (err) {
    return null; // the day page still works without them
  }
  const live = releases.filter((r) => ["scheduled", "waiting_room", "open"].includes(r.status) && r.remaining > 0);
  if (!live.length) return null;
  return h("div", null, live.map((r) => {
    const when = formatDateTime(r.opens_at, office.timezone);
    const href = `/release/${r.release_id}?service=${serviceCode}&office=${officeCode}&date=${r.date}`;
    const text = r.status === "scheduled"
      ? t("room.scheduled", { date: formatDate(r.date), when, room: formatTime(r.waiting_room_opens_at, office.timezone) })
      : t("room.notice", { date: formatDate(r.date), when });
    return h("div", { class: "notice notice-info", role: "status" }, text, " ",
      r.status === "scheduled" ? null : h("a", { href }, t("room.enter")));
  }));
}

export async function waitingRoomPage(releaseId) {
  if (!session.signedIn()) return needLogin(t("room.loginFirst"));
  const main = page();
  const params = new URLSearchParams(location.search);
  const target = { service: params.get("service"), office: params.get("office"), date: params.get("date") };
  show(main, t("room.title"), h("p", { class: "muted" }, t("loading")));
  const here = location.pathname;
  let first = null;

  async function poll(join) {
    if (location.pathname !== here) return; // the person went elsewhere: stop asking
    let place;
    try {
      place = await api(join ? "POST" : "GET", `/api/v1/releases/${encodeURIComponent(releaseId)}/queue`, { auth: true });
    } catch (err) {
      if (err.code === "SESSION_EXPIRED") return needLogin(t("err.session"));
      if (err.status === 429 || err.status === 503) {
        // Busy: the place is kept; ask again when told (a join whose answer was lost is joined again).
        const seconds = err.retryAfter || 5;
        setTimeout(() => poll(join || first === null), seconds * 1000);
        return show(main, t("room.title"), notice(t("room.busy", { seconds }), "warn"));
      }
      return show(main, t("room.title"), notice(explain(err), "error"), retryButton());
    }
    if (place.state === "waiting") {
      first ??= Math.max(1, place.ahead + 1);
      const done = Math.round((100 * (first - Math.min(first, place.ahead))) / first);
      show(main, t("room.title"),
        h("p", null, t("room.fair")),
        h("p", null, t("room.positionLabel")),
        h("p", { class: "big-number", id: "room-position" }, String(place.position)),
        h("p", null, t("room.ahead", { ahead: place.ahead })),
        h("progress", { max: "100", value: String(done), "aria-label": t("room.progress", { done }) }),
        h("p", { class: "muted", "aria-live": "polite" }, t("room.next", { seconds: place.retry_after_seconds })),
        notice(t("room.keepOpen")),
      );
      setTimeout(() => poll(false), place.retry_after_seconds * 1000);
      return;
    }
    if (place.state === "admitted") {
      if (target.office && target.date) sessionStorage.setItem(`${ADMISSION}.${target.office}.${target.date}`, place.admission);
      const until = new Date(place.admitted_until).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      const bookHref = target.service && target.office && target.date ? `/book/${target.service}/${target.office}/${target.date}` : "/";
      return show(main, t("room.title"),
        notice(t("room.admitted", { until }), "ok"),
        h("p", null, h("a", { class: "button", href: bookHref, id: "room-book" }, t("room.book"))),
      );
    }
    const reason = place.reason || "sold_out";
    show(main, t("room.title"), notice(t(`room.closed.${reason}`), reason === "used" ? "info" : "warn"),
      h("p", null, h("a", { href: "/waitlist" }, t("nav.waitlist"))));
  }

  return poll(true);
}

/** "Join the waitlist" for a full day. */
export function joinWaitlistButton(officeCode, serviceCode, date) {
  return button(t("wait.join"), {
    class: "button secondary",
    onclick: async (event) => {
      if (!session.signedIn()) return needLogin(t("wait.loginFirst"));
      event.target.disabled = true;
      try {
        await api("POST", "/api/v1/waitlist", { auth: true, body: { office_code: officeCode, service_code: serviceCode, date } });
        go("/waitlist");
      } catch (err) {
        event.target.disabled = false;
        event.target.after(notice(explain(err), "error"));
      }
    },
  });
}

export async function waitlistPage() {
  if (!session.signedIn()) return needLogin(t("wait.loginFirst"));
  const main = page();
  show(main, t("wait.title"), h("p", { class: "muted" }, t("loading")));
  let entries, offices, services;
  try {
    [entries, offices, services] = await Promise.all([api("GET", "/api/v1/waitlist", { auth: true }), getOffices(), getServices()]);
  } catch (err) {
    if (err.code === "SESSION_EXPIRED") return needLogin(t("err.session"));
    return show(main, t("wait.title"), notice(explain(err), "error"), retryButton());
  }
  const officeOf = (code) => offices.find((o) => o.code === code) || { name: code, timezone: "Asia/Jakarta" };
  const serviceOf = (code) => services.find((s) => s.code === code);
  const result = h("div", { "aria-live": "polite" });
  show(main, t("wait.title"),
    h("p", null, t("wait.intro")),
    result,
    entries.length === 0 ? h("p", null, t("wait.none")) : h("ul", { class: "cards" }, entries.map((e) => {
      const office = officeOf(e.office_code);
      const service = serviceOf(e.service_code);
      return h("li", { class: "card", "data-waitlist": e.waitlist_id },
        h("strong", null, `${formatDate(e.date)} — ${office.name}`),
        h("p", null, service ? serviceName(service) : e.service_code),
        h("p", null, t(`wait.status.${e.status}`, { position: e.position ?? "-" })),
        e.status === "offered" && e.offer ? h("div", null,
          notice(t("wait.offer", { time: formatTime(e.offer.start, office.timezone), deadline: formatDateTime(e.offer.expires_at, office.timezone) }), "ok"),
          button(t("wait.accept"), { onclick: () => accept(e, office, result) })) : null,
        ["waiting", "offered"].includes(e.status) ? button(t("wait.leave"), { class: "button secondary", onclick: () => leave(e, result) }) : null,
      );
    })),
    h("p", null, h("a", { href: "/" }, t("nav.book"))),
  );
}

async function accept(entry, office, result) {
  try {
    const booking = await api("POST", `/api/v1/waitlist/${entry.waitlist_id}/accept`, { auth: true });
    saveBooking(booking.reservation_code, { booking, office });
    go(`/bookings/${booking.reservation_code}?new=1`);
  } catch (err) {
    result.replaceChildren(notice(explain(err), "error"));
  }
}

async function leave(entry, result) {
  try {
    await api("DELETE", `/api/v1/waitlist/${entry.waitlist_id}`, { auth: true });
    waitlistPage();
  } catch (err) {
    result.replaceChildren(notice(explain(err), "error"));
  }
}

/** The cooldown's answer names when booking is possible again. */
export function cooldownText(err, timezone) {
  return err.body?.until ? t("cooldown", { until: formatDateTime(err.body.until, timezone) }) : explain(err);
}
