// My bookings and one booking: the code and QR to show at the door (also with no signal), what happens
// next, the ticket once checked in, and cancel / reschedule with their rules said before the button.
import { t, formatDate, formatTime } from "../lib/i18n.js";
import { h, show, notice, button } from "../lib/dom.js";
import { api, explain } from "../lib/api.js";
import { go, param } from "../lib/router.js";
import * as session from "../lib/session.js";
import { page, needLogin, retryButton } from "./main.js";
import { getOffice, getOffices, getService, serviceName, savedBookings, saveBooking, availability } from "./data.js";
import { slotChoices } from "./book.js";
import { awaitingPanel, expiredNotice, receiptItem } from "./payment.js";
import { dependents } from "./family.js";

const ACTIVE = ["confirmed", "checked_in", "called", "serving"];

export function statusTag(status) {
  const kind = { confirmed: "ok", completed: "ok", checked_in: "wait", called: "wait", serving: "wait", awaiting_payment: "wait", cancelled: "bad", no_show: "bad", expired: "bad" }[status] || "";
  return h("span", { class: `tag ${kind}` }, t(`status.${status}`));
}

function requireLogin() {
  if (session.signedIn()) return false;
  needLogin();
  return true;
}

export async function bookingsPage() {
  if (requireLogin()) return;
  const main = page();
  let bookings;
  let offline = false;
  try {
    bookings = await api("GET", "/api/v1/bookings", { auth: true });
  } catch (err) {
    if (err.code === "SESSION_EXPIRED") return needLogin(t("err.session"));
    if (err.code !== "NETWORK") return show(main, t("bookings.title"), notice(explain(err), "error"), retryButton());
    offline = true;
    bookings = Object.values(savedBookings()).map((s) => s.booking);
  }
  const offices = offline ? {} : Object.fromEntries((await safe(getOffices, [])).map((o) => [o.code, o]));
  // Bookings made for a dependent say for whom (names stay in memory, never saved on the device).
  const names = offline ? {} : Object.fromEntries((await dependents()).map((p) => [p.person_id, p.full_name]));
  for (const s of Object.values(savedBookings())) offices[s.office?.code] ||= s.office;
  show(main, t("bookings.title"),
    offline ? notice(t("offline"), "warn") : null,
    bookings.length === 0 ? h("p", null, t("bookings.none")) : null,
    h("ul", { class: "cards" }, bookings.map((b) => {
      const office = offices[b.office_code];
      return h("li", { class: "card" },
        h("h2", null, h("a", { href: `/bookings/${b.reservation_code}` }, b.reservation_code)),
        h("p", null, statusTag(b.status)),
        names[b.person_id] ? h("p", null, `${t("check.person")}: ${names[b.person_id]}`) : null,
        h("p", null, formatDate(b.date), office ? `, ${formatTime(b.start, office.timezone)}` : ""),
        h("p", { class: "muted" }, office ? office.name : b.office_code));
    })),
    h("p", null, h("a", { class: "button", href: "/" }, t("bookings.new"))),
  );
}

async function safe(fn, fallback) {
  try {
    return await fn();
  } catch (e) {
    return fallback;
  }
}

async function qrDataUrl(code) {
  const response = await api("GET", `/api/v1/bookings/${code}/qr`, { auth: true, accept: "image/png", raw: true });
  const blob = await response.blob();
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.readAsDataURL(blob);
  });
}

/** The booking from the API (saved on the device for offline use), or the saved copy when offline. */
async function loadBooking(code) {
  try {
    const booking = await api("GET", `/api/v1/bookings/${code}`, { auth: true });
    const [office, service] = await Promise.all([getOffice(booking.office_code), getService(booking.service_code)]);
    const saved = savedBookings()[code] || {};
    const qr = saved.qr || (await qrDataUrl(code));
    saveBooking(code, { booking, office, service, qr });
    return { booking, office, service, qr, offline: false };
  } catch (err) {
    const saved = savedBookings()[code];
    if (err.code === "NETWORK" && saved?.booking && saved.qr) return { ...saved, offline: true };
    throw err;
  }
}

/** Codes are upper case; an address typed in lower case shows (and saves) the booking under its own code. */
function canonical(code, suffix = "") {
  const upper = code.toUpperCase();
  if (upper !== code) history.replaceState(null, "", `/bookings/${upper}${suffix}${location.search}`);
  return upper;
}

export async function bookingPage(rawCode) {
  const code = canonical(rawCode);
  const saved = savedBookings()[code];
  if (!session.signedIn() && !saved) return needLogin();
  const main = page();
  show(main, t("booking.title"), h("p", { class: "muted" }, t("loading")));
  let data;
  try {
    data = await loadBooking(code);
  } catch (err) {
    if (err.code === "SESSION_EXPIRED") return needLogin(t("err.session"));
    return show(main, t("booking.title"), notice(explain(err), "error"), retryButton());
  }
  const { booking, office, service, qr, offline } = data;
  const tz = office.timezone;
  const active = ACTIVE.includes(booking.status);
  const isNew = param("new") === "1";
  if (isNew) history.replaceState(null, "", `/bookings/${code}`); // a reload is not a second "booked!"
  const startsIn = new Date(booking.start) - Date.now();
  const awaiting = booking.status === "awaiting_payment";
  show(main, isNew ? t(awaiting ? "pay.heldTitle" : "booking.doneTitle") : t("booking.title"),
    offline ? notice(t("offline"), "warn") : null,
    isNew ? notice(t(awaiting ? "pay.held" : "booking.done"), awaiting ? "warn" : "ok") : null,
    expiredNotice(booking),
    awaiting && !offline ? awaitingPanel(booking, office, () => bookingPage(code)) : null,
    h("div", { class: "panel" },
      h("p", null, t("booking.code")),
      h("span", { class: "code", "aria-hidden": "true" }, code),
      h("span", { class: "visually-hidden" }, code.split("").join(" ")), // read out one character at a time
      active ? h("img", { class: "qr", src: qr, width: 320, height: 320, alt: t("booking.qrAlt", { code }) }) : null,
      active ? h("p", null, t("booking.showAtDoor")) : null,
    ),
    h("dl", { class: "summary-list" },
      item(t("booking.status"), statusTag(booking.status)),
      item(t("check.service"), service ? serviceName(service) : booking.service_code),
      item(t("check.office"), [office.name, h("br"), h("span", { class: "muted" }, office.address)]),
      item(t("check.date"), formatDate(booking.date)),
      item(t("check.time"), `${formatTime(booking.start, tz)} – ${formatTime(booking.end, tz)}`),
      receiptItem(booking),
    ),
    booking.ticket ? ticketPanel(booking.ticket) : null,
    awaiting ? [
      h("h2", null, t("booking.changeTitle")),
      h("p", null, h("a", { class: "button secondary", href: `/bookings/${code}/cancel` }, t("booking.cancel"))),
    ] : null,
    active && booking.status === "confirmed" ? [
      h("h2", null, t("booking.nextTitle")),
      h("ol", null, ["booking.next1", "booking.next2", "booking.next3"].map((k) => h("li", null, t(k)))),
      h("p", null, h("a", { class: "button", href: `/bookings/${code}/documents` }, t("booking.documents"))),
      h("h2", null, t("booking.changeTitle")),
      h("p", null, t("booking.cancelRule")),
      h("p", null, h("a", { class: "button secondary", href: `/bookings/${code}/cancel` }, t("booking.cancel"))),
      (booking.reschedule_count || 0) < 1 && startsIn > 24 * 3600 * 1000
        ? [h("p", null, t("booking.rescheduleRule")), h("p", null, h("a", { class: "button secondary", href: `/bookings/${code}/reschedule` }, t("booking.reschedule")))]
        : h("p", { class: "muted" }, t("booking.noReschedule")),
    ] : null,
    h("p", null, h("a", { href: "/bookings" }, t("nav.bookings"))),
  );
}

/** The one change a booking allows, checked before it is made: old and new time side by side. */
function confirmMove(main, code, booking, office, slot) {
  const tz = office.timezone;
  const result = h("div", { "aria-live": "polite" });
  const yes = button(t("reschedule.confirm"));
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    result.replaceChildren(notice(t("check.booking")));
    try {
      const moved = await api("POST", `/api/v1/bookings/${code}/reschedule`, { auth: true, body: { slot_id: slot.slot_id } });
      saveBooking(code, { booking: moved });
      go(`/bookings/${code}`, { replace: true });
    } catch (err) {
      yes.disabled = false;
      if (err.code === "SESSION_EXPIRED") return needLogin(t("err.session"));
      result.replaceChildren(notice(explain(err), "error"));
    }
  });
  show(main, t("reschedule.checkTitle"),
    h("dl", { class: "summary-list" },
      item(t("reschedule.from"), `${formatDate(booking.date)}, ${formatTime(booking.start, tz)}`),
      item(t("reschedule.to"), `${formatDate(slot.date)}, ${formatTime(slot.start, tz)}`),
      item(t("check.office"), office.name),
    ),
    notice(t("reschedule.once"), "warn"),
    yes,
    h("a", { class: "button secondary", href: `/bookings/${code}/reschedule` }, t("reschedule.other")),
    result,
  );
}

function item(label, value) {
  return h("div", null, h("dt", null, label), h("dd", null, value));
}

function ticketPanel(ticket) {
  return h("div", { class: "notice notice-ok" },
    h("h2", null, t("ticket.title")),
    h("p", { class: "big-number" }, ticket.ticket_number),
    h("p", null, t(`ticket.${ticket.status}`, { counter: ticket.counter ?? "" })),
    ticket.position != null ? h("p", null, t("ticket.position", { position: ticket.position })) : null,
    ticket.expected_wait_minutes != null ? h("p", null, t("ticket.wait", { minutes: ticket.expected_wait_minutes })) : null,
  );
}

export async function cancelPage(rawCode) {
  if (requireLogin()) return;
  const code = canonical(rawCode, "/cancel");
  const main = page();
  const result = h("div", { "aria-live": "polite" });
  const yes = button(t("cancel.confirm"), { class: "button warning" });
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    try {
      const booking = await api("POST", `/api/v1/bookings/${code}/cancel`, { auth: true });
      saveBooking(code, { booking });
      go(`/bookings/${code}`, { replace: true });
    } catch (err) {
      yes.disabled = false;
      if (err.code === "SESSION_EXPIRED") return needLogin(t("err.session"));
      result.replaceChildren(notice(explain(err), "error"));
    }
  });
  show(main, t("cancel.title"), h("p", null, t("cancel.body", { code })), h("p", null, t("booking.cancelRule")), yes,
    h("a", { class: "button secondary", href: `/bookings/${code}` }, t("cancel.keep")), result);
}

export async function reschedulePage(rawCode) {
  if (requireLogin()) return;
  const code = canonical(rawCode, "/reschedule");
  const main = page();
  let booking, office, slots;
  try {
    booking = await api("GET", `/api/v1/bookings/${code}`, { auth: true });
    office = await getOffice(booking.office_code);
    // The rules allow a move to a slot of the same office that starts more than 24 hours from now.
    const later = Date.now() + 24 * 3600 * 1000;
    slots = (await availability(booking.office_code, booking.service_code)).filter(
      (s) => s.remaining > 0 && s.slot_id !== booking.slot_id && new Date(s.start) > later,
    );
  } catch (err) {
    if (err.code === "SESSION_EXPIRED") return needLogin(t("err.session"));
    return show(main, t("reschedule.title"), notice(explain(err), "error"), retryButton());
  }
  const byDay = new Map();
  for (const s of slots) byDay.set(s.date, [...(byDay.get(s.date) || []), s]);
  const tz = office.timezone;
  show(main, t("reschedule.title"),
    h("p", null, t("booking.rescheduleRule")),
    h("p", null, t("reschedule.current", { date: formatDate(booking.date), time: formatTime(booking.start, tz) })),
    byDay.size === 0 ? notice(t("slot.none"), "warn") : null,
    [...byDay.entries()].map(([date, list]) => [h("h2", null, formatDate(date)), slotChoices(list, office, (slot) => confirmMove(main, code, booking, office, slot))]),
    h("p", null, h("a", { href: `/bookings/${code}` }, t("back"))),
  );
}

