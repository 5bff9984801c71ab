// Booking, one decision per page: service → office → day → time → check your answers → book.
import { t, formatDate, formatTime, zoneName } from "../lib/i18n.js";
import { h, show, notice, field } from "../lib/dom.js";
import { api, explain, idempotencyKey } from "../lib/api.js";
import { go } from "../lib/router.js";
import * as session from "../lib/session.js";
import { page, needLogin, retryButton } from "./main.js";
import { admissionFor, cooldownText, joinWaitlistButton, releaseNotices } from "./release.js";
import { dependents } from "./family.js";
import {
  getServices, getService, getOffices, getOffice, serviceName, documentName, draft, setDraft, clearDraft,
  availability, saveBooking, savedBookings,
} from "./data.js";
import { rupiah } from "./payment.js";

function failed(main, title, err) {
  const saved = err.code === "NETWORK" && Object.keys(savedBookings()).length > 0;
  show(main, title, notice(explain(err), "error"), retryButton(),
    saved ? h("p", null, h("a", { href: "/bookings" }, t("home.offlineSaved"))) : null);
}

export async function homePage() {
  const main = page();
  show(main, t("home.title"), h("p", null, t("home.intro")), h("p", { class: "muted" }, t("loading")));
  let services;
  try {
    services = await getServices();
  } catch (err) {
    return failed(main, t("home.title"), err);
  }
  show(main, t("home.title"),
    h("p", null, t("home.intro")),
    session.signedIn() ? h("p", null, h("a", { href: "/bookings" }, t("nav.bookings"))) : h("p", null, t("home.account"), " ", h("a", { href: "/register" }, t("nav.register")), " · ", h("a", { href: "/login" }, t("login"))),
    h("h2", null, t("home.choose")),
    h("ul", { class: "cards" }, services.map((s) => h("li", null,
      h("a", { class: "choice", href: `/book/${s.code}`, onclick: () => setDraft({ service: s.code }) },
        h("strong", null, serviceName(s)),
        h("span", null, t("home.duration", { minutes: s.duration_minutes })),
        s.fee ? h("span", null, " · ", t("home.fee", { amount: s.fee.amount.toLocaleString("id-ID") })) : null,
      ),
      h("details", null, h("summary", null, t("home.documents")),
        h("ul", null, s.required_documents.map((d) => h("li", null, documentName(d), " ", h("span", { class: "muted" }, `(${d.required ? t("required") : t("optional")})`))))),
    ))),
    h("p", null, h("a", { href: "/help" }, t("help.link"))),
  );
}

export async function officePage(serviceCode) {
  const main = page();
  let service, offices;
  try {
    [service, offices] = await Promise.all([getService(serviceCode), getOffices()]);
  } catch (err) {
    return failed(main, t("office.title"), err);
  }
  if (!service) return go("/", { replace: true });
  setDraft({ service: serviceCode });
  const list = h("ul", { class: "cards two", id: "office-list" });
  const count = h("p", { class: "muted", "aria-live": "polite" });
  const search = field({ name: "q", label: t("office.search"), hint: t("office.searchHint"), type: "search", required: false, autocomplete: "off" });
  const input = search.querySelector("input");
  function filter() {
    const q = input.value.trim().toLowerCase();
    const found = offices.filter((o) => !q || [o.name, o.city, o.province].some((v) => v.toLowerCase().includes(q)));
    list.replaceChildren(...found.map((o) => h("li", null, h("a", { class: "choice", href: `/book/${serviceCode}/${o.code}` },
      h("strong", null, o.name),
      h("span", null, `${o.city}, ${o.province} · ${t("office.zone", { zone: zoneName(o.timezone) })}`),
      h("br"), h("span", { class: "muted" }, o.address)))));
    count.textContent = t("office.count", { count: found.length });
  }
  input.addEventListener("input", filter);
  filter();
  show(main, t("office.title"), h("p", null, t("office.for", { service: serviceName(service) })), search, count, list,
    h("p", null, h("a", { href: "/" }, t("back"))));
}

export async function dayPage(serviceCode, officeCode) {
  const main = page();
  let office, service, slots;
  try {
    [office, service] = await Promise.all([getOffice(officeCode), getService(serviceCode)]);
    if (!office || !service) return go("/", { replace: true });
    slots = await availability(officeCode, serviceCode);
  } catch (err) {
    return failed(main, t("day.title"), err);
  }
  setDraft({ service: serviceCode, office: officeCode });
  const releases = await releaseNotices(officeCode, serviceCode, office);
  const days = new Map();
  for (const slot of slots) days.set(slot.date, (days.get(slot.date) || 0) + slot.remaining);
  const release = office.booking_window?.release_time;
  show(main, t("day.title"),
    h("p", null, `${serviceName(service)} — ${office.name}`),
    release ? h("p", { class: "muted" }, t("day.release", { time: release.replace(":", "."), zone: zoneName(office.timezone), days: office.booking_window.days_ahead })) : null,
    releases,
    days.size === 0 ? notice(t("day.none"), "warn") : null,
    h("ul", { class: "cards two" }, [...days.entries()].map(([date, remaining]) => h("li", null,
      remaining > 0
        ? h("a", { class: "choice", href: `/book/${serviceCode}/${officeCode}/${date}` }, h("strong", null, formatDate(date)), h("span", null, t("day.seats", { count: remaining })))
        : [h("div", { class: "choice", "aria-disabled": "true" }, h("strong", null, formatDate(date)), h("span", null, t("day.full"))),
            joinWaitlistButton(officeCode, serviceCode, date)]))),
    h("p", null, h("a", { href: `/book/${serviceCode}` }, t("back"))),
  );
}

export async function slotPage(serviceCode, officeCode, date) {
  const main = page();
  let office, slots;
  try {
    office = await getOffice(officeCode);
    if (!office) return go("/", { replace: true });
    slots = await availability(officeCode, serviceCode, date, date);
  } catch (err) {
    return failed(main, t("slot.title"), err);
  }
  const free = slots.filter((s) => s.remaining > 0);
  show(main, t("slot.title"),
    h("p", null, `${formatDate(date)} — ${office.name}`),
    h("p", { class: "muted" }, t("slot.zone", { zone: zoneName(office.timezone) })),
    free.length ? null : notice(t("slot.none"), "warn"),
    slotChoices(free, office, (slot) => {
      setDraft({ service: serviceCode, office: officeCode, date, slot, key: idempotencyKey() });
      go("/book/check");
    }),
    h("p", null, h("a", { href: `/book/${serviceCode}/${officeCode}` }, t("back"))),
  );
}

export function slotChoices(slots, office, choose) {
  return h("ul", { class: "slots" }, slots.map((slot) => h("li", null,
    h("button", { type: "button", class: "choice", onclick: () => choose(slot) },
      h("strong", null, formatTime(slot.start, office.timezone, false)),
      h("span", { class: "muted" }, t("slot.left", { count: slot.remaining }))))));
}

export async function checkPage() {
  const main = page();
  const d = draft();
  if (!d.slot) return go("/", { replace: true });
  let office, service, people;
  try {
    [office, service, people] = await Promise.all([
      getOffice(d.office), getService(d.service), session.signedIn() ? dependents() : [],
    ]);
  } catch (err) {
    return failed(main, t("check.title"), err);
  }
  const forWhom = people.some((p) => p.person_id === d.person) ? d.person : "";
  const tz = office.timezone;
  const result = h("div", { "aria-live": "polite" });
  // Declared here, confirmed by the officer at check-in; lansia is recognised from the birth date anyway.
  const priority = field({
    name: "priority", label: t("check.priority"), hint: t("check.priorityHint"), type: "select", required: false,
    options: [["", t("check.priorityNone")], ...["disabilitas", "ibu_hamil", "anak", "lansia"].map((p) => [p, t(`priority.${p}`)])],
  });
  const bookButton = h("button", { type: "button", class: "button" }, session.signedIn() ? t("check.book") : t("check.loginToBook"));
  bookButton.addEventListener("click", async () => {
    if (!session.signedIn()) return needLogin(t("check.loginFirst"));
    bookButton.disabled = true;
    result.replaceChildren(notice(t("check.booking")));
    const chosen = draft(); // the person may have been chosen on this page, with a new key
    const person = people.some((p) => p.person_id === chosen.person) ? chosen.person : "";
    try {
      const booking = await api("POST", "/api/v1/bookings", {
        auth: true,
        body: {
          slot_id: d.slot.slot_id,
          service_code: d.service,
          priority: priority.querySelector("select").value || null,
          admission: admissionFor(d.office, d.date),
          ...(person ? { person_id: person } : {}),
        },
        headers: { "Idempotency-Key": chosen.key || d.key },
      });
      saveBooking(booking.reservation_code, { booking, office });
      clearDraft();
      go(`/bookings/${booking.reservation_code}?new=1`, { replace: true });
    } catch (err) {
      bookButton.disabled = false;
      if (err.code === "SESSION_EXPIRED") return needLogin(t("err.session"));
      if (err.code === "SLOT_FULL") return offerOthers(result, d, office);
      if (err.code === "BOOKING_COOLDOWN") return result.replaceChildren(notice(cooldownText(err, office.timezone), "error"));
      if (err.code.startsWith("ADMISSION_")) {
        return result.replaceChildren(notice(explain(err), "error"), h("p", null, h("a", { href: `/book/${d.service}/${d.office}` }, t("room.back"))));
      }
      const more = err.code === "ALREADY_BOOKED" ? h("p", null, h("a", { href: "/bookings" }, t("nav.bookings"))) : null;
      result.replaceChildren(notice(explain(err), "error"), more);
    }
  });
  show(main, t("check.title"),
    h("dl", { class: "summary-list" },
      row(t("check.service"), serviceName(service), `/`),
      row(t("check.office"), [office.name, h("br"), h("span", { class: "muted" }, office.address)], `/book/${d.service}`),
      row(t("check.date"), formatDate(d.date), `/book/${d.service}/${d.office}`),
      row(t("check.time"), `${formatTime(d.slot.start, tz)} – ${formatTime(d.slot.end, tz)}`, `/book/${d.service}/${d.office}/${d.date}`),
    ),
    service.fee ? notice(t("pay.checkNotice", { amount: rupiah(service.fee.amount) }), "warn") : null,
    people.length ? personChoice(people, forWhom) : null,
    h("h2", null, t("check.rulesTitle")),
    h("ul", null, ["check.rule1", "check.rule2", "check.rule3", "check.rule4"].map((k) => h("li", null, t(k)))),
    h("h2", null, t("check.docsTitle")),
    h("ul", null, service.required_documents.map((doc) => h("li", null, documentName(doc), doc.required ? "" : ` (${t("optional")})`))),
    priority,
    bookButton,
    result,
  );
}

/** Myself or one of my dependents; a new choice is a new request, so it gets a new Idempotency-Key. */
function personChoice(people, chosen) {
  const options = [["", t("check.forMe")], ...people.map((p) => [p.person_id, p.full_name])];
  return h("fieldset", { class: "book-for" },
    h("legend", null, t("check.for")),
    options.map(([value, label]) => h("label", { class: "radio" },
      h("input", { type: "radio", name: "person", value, checked: value === chosen,
        onchange: () => setDraft({ person: value, key: idempotencyKey() }) }),
      label)),
  );
}

function row(label, value, changeHref) {
  return h("div", null, h("dt", null, label), h("dd", null, value, " ", h("a", { href: changeHref, "aria-label": `${t("change")} ${label}` }, t("change"))));
}

/** The slot was taken meanwhile: offer the next free ones, from the same day on. */
async function offerOthers(result, d, office) {
  let slots = [];
  try {
    slots = (await availability(d.office, d.service, d.date)).filter((s) => s.remaining > 0).slice(0, 6);
  } catch (err) {
    /* offer none; the message still says what happened */
  }
  result.replaceChildren(
    notice(t("check.slotFull"), "error"),
    slots.length ? h("h2", null, t("check.nextFree")) : null,
    slots.length
      ? h("ul", { class: "slots" }, slots.map((slot) => h("li", null, h("button", { type: "button", class: "choice", onclick: () => {
          setDraft({ date: slot.date, slot, key: idempotencyKey() });
          checkPage();
        } }, h("strong", null, formatTime(slot.start, office.timezone, false)), h("span", { class: "muted" }, formatDate(slot.date, { weekday: "short", day: "numeric", month: "short" }))))))
      : h("p", null, h("a", { href: `/book/${d.service}/${d.office}` }, t("check.otherDay"))),
  );
  result.querySelector("button,a")?.focus();
}
