// The front desk and the counter: check-in by booking code, walk-in numbers, calling the next visitor
// and moving the called ticket along, and the waiting queue.
import { t, formatDate, formatTime } from "../lib/i18n.js";
import { h, show, field, button, replace, showErrors, values, notice } from "../lib/dom.js";
import { api, idempotencyKey } from "../lib/api.js";
import { officeCode, office, cached, serviceNames, fail, ticketPanel, errorBox, every, okNotice, todayIn } from "./common.js";

const enc = encodeURIComponent;
const PRIORITIES = ["lansia", "disabilitas", "ibu_hamil", "anak"];

function summary(rows) {
  return h("dl", { class: "summary-list" }, rows.filter(Boolean).map(([k, v]) => h("div", null, h("dt", null, k), h("dd", null, v))));
}

export function checkInPage(main) {
  const box = errorBox();
  const result = h("div", { class: "staff-result" });
  const form = h("form", { novalidate: true, class: "staff-scan" },
    field({ name: "code", label: t("checkin.code"), hint: t("checkin.codeHint"), autocomplete: "off", autocapitalize: "characters", spellcheck: "false", class: "code-input" }),
    h("button", { class: "button", type: "submit" }, t("checkin.find")),
  );
  const input = form.elements.code;
  const again = () => {
    replace(result);
    box.hidden = true;
    input.value = "";
    input.focus();
  };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const code = input.value.replace(/\s+/g, "").toUpperCase();
    box.hidden = true;
    replace(result);
    if (!code) return showErrors(form, [], { code: [t("login.missing")] });
    showErrors(form, []);
    try {
      const [booking, names, where] = await Promise.all([
        api("GET", `/api/v1/bookings/${enc(code)}`, { auth: true }), serviceNames(), office()]);
      const here = booking.office_code === officeCode();
      const theirs = here ? where : await cached(`/api/v1/offices/${enc(booking.office_code)}`).catch(() => null);
      const zone = theirs?.timezone || where.timezone;
      const today = todayIn(where.timezone);
      // Only a confirmed booking for today at this office can be checked in; anything else is explained
      // here, before the officer presses anything (the API would refuse it).
      let why = null;
      if (booking.status === "checked_in") why = t("checkin.already");
      else if (booking.status !== "confirmed") why = t("checkin.notActive", { status: t(`status.${booking.status}`) });
      else if (!here) why = t("checkin.otherOffice", { office: theirs?.name || booking.office_code });
      else if (booking.date !== today) why = t(booking.date < today ? "checkin.pastDay" : "checkin.otherDay", { date: formatDate(booking.date) });
      const ready = why === null;
      // The holder (name, masked NIK, birth date) from the day's list: the officer compares it with the KTP
      // and ticks "KTP cocok"; the priority is pre-filled (declared, or lansia from the birth date).
      const listed = ready ? (await api("GET", `/api/v1/offices/${enc(officeCode())}/bookings?date=${enc(today)}`, { auth: true }))
        .find((b) => b.reservation_code === booking.reservation_code) : null;
      const holder = listed?.holder;
      const checkIn = h("form", { novalidate: true, class: "staff-checkin" },
        field({
          name: "priority", label: t("walkin.priority"), hint: t("checkin.priorityHint"), type: "select", required: false,
          value: listed?.priority || "",
          options: [["", t("priority.none")], ...PRIORITIES.map((p) => [p, t(`priority.${p}`)])],
        }),
        h("div", { class: "field", "data-field": "ktp" },
          h("p", { class: "field-error", id: "ktp-error", hidden: true }),
          h("div", { class: "radio" },
            h("input", { type: "checkbox", name: "ktp", id: "ktp-ok", value: "yes", "aria-describedby": "ktp-error" }),
            h("label", { for: "ktp-ok" }, t("checkin.ktpMatch")))),
        h("button", { class: "button", type: "submit" }, t("checkin.submit")),
      );
      checkIn.addEventListener("submit", async (e) => {
        e.preventDefault();
        box.hidden = true;
        const { priority, ktp } = values(checkIn);
        if (ktp !== "yes") return showErrors(checkIn, [], { ktp: [t("checkin.ktpMissing")] });
        showErrors(checkIn, []);
        const submit = checkIn.querySelector("button[type=submit]");
        submit.disabled = true;
        try {
          const ticket = await api("POST", `/api/v1/offices/${enc(officeCode())}/check-ins`, {
            auth: true, body: { reservation_code: booking.reservation_code, identity_confirmed: true, priority: priority || null },
          });
          replace(result, ticketPanel(t("checkin.done"), ticket, names, h("p", null, t("checkin.tell"))),
            button(t("checkin.next"), { class: "button secondary", onclick: again }));
          result.querySelector("h2").setAttribute("tabindex", "-1");
          result.querySelector("h2").focus();
        } catch (err) {
          submit.disabled = false;
          fail(box, err, { focus: true });
        }
      });
      const tag = ready ? "ok" : booking.status === "checked_in" || booking.status === "confirmed" ? "wait" : "bad";
      replace(result,
        h("h2", { tabindex: "-1" }, t("checkin.booking", { code: booking.reservation_code })),
        summary([
          [t("ticket.service"), names[booking.service_code] || booking.service_code],
          [t("checkin.office"), theirs?.name || booking.office_code],
          [t("checkin.date"), formatDate(booking.date)],
          [t("checkin.time"), `${formatTime(booking.start, zone, false)}–${formatTime(booking.end, zone)}`],
          [t("ticket.status"), h("span", { class: `tag ${tag}` }, t(`status.${booking.status}`))],
          ready ? [t("checkin.holder"), holder ? holder.full_name : t("checkin.noHolder")] : null,
          ready && holder ? [t("checkin.nik"), holder.nik_masked] : null,
          ready && holder?.birth_date ? [t("checkin.birth"), formatDate(holder.birth_date)] : null,
        ]),
        ready ? notice(t("checkin.ktp"), "warn") : h("div", { class: "notice notice-warn staff-cannot", role: "status" },
          h("p", null, why),
          booking.status === "checked_in" ? h("p", null, h("a", { href: "/staff/queue" }, t("checkin.seeQueue")))
            : h("p", null, h("a", { href: "/staff/walk-in" }, t("checkin.walkIn")))),
        ready ? checkIn : button(t("checkin.next"), { class: "button secondary", onclick: again }),
      );
      (ready ? checkIn.querySelector("input[type=checkbox]") : result.querySelector("h2")).focus();
    } catch (err) {
      input.select();
      fail(box, err, { focus: true });
    }
  });
  show(main, t("checkin.title"), form, box, result);
  input.focus();
}

export async function walkInPage(main) {
  const box = errorBox();
  const result = h("div", { class: "staff-result" });
  show(main, t("walkin.title"), h("p", null, t("walkin.intro")), box, result);
  let names;
  try {
    names = await serviceNames();
  } catch (err) {
    return fail(box, err);
  }
  let key = idempotencyKey(); // a retried submit (lost answer) gives the same ticket, never a second one
  const form = h("form", { novalidate: true },
    field({ name: "service_code", label: t("walkin.service"), type: "select", options: Object.entries(names) }),
    field({
      name: "priority", label: t("walkin.priority"), hint: t("walkin.priorityHint"), type: "select", required: false,
      options: [["", t("priority.none")], ...PRIORITIES.map((p) => [p, t(`priority.${p}`)])],
    }),
    h("button", { class: "button", type: "submit" }, t("walkin.submit")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    box.hidden = true;
    const { service_code, priority } = values(form);
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      const ticket = await api("POST", `/api/v1/offices/${enc(officeCode())}/walk-ins`, {
        auth: true, body: { service_code, priority: priority || null }, headers: { "Idempotency-Key": key },
      });
      key = idempotencyKey();
      form.hidden = true;
      replace(result, ticketPanel(t("walkin.done"), ticket, names, h("p", null, t("checkin.tell"))),
        button(t("walkin.another"), { class: "button secondary", onclick: () => { replace(result); form.reset(); form.hidden = false; form.elements.service_code.focus(); } }));
      result.querySelector("h2").setAttribute("tabindex", "-1");
      result.querySelector("h2").focus();
    } catch (err) {
      fail(box, err, { focus: true });
    } finally {
      submit.disabled = false;
    }
  });
  result.before(form);
}

const COUNTER_KEY = "antre.staff.counter";
const TICKET_KEY = "antre.staff.ticket";

export async function counterPage(main) {
  const box = errorBox();
  const area = h("div", { class: "staff-result", "aria-live": "polite" });
  show(main, t("counter.title"), box);
  let where, names;
  try {
    [where, names] = await Promise.all([office(), serviceNames()]);
  } catch (err) {
    return fail(box, err);
  }
  const counters = Array.from({ length: where.counters || 1 }, (_, i) => String(i + 1));
  const saved = localStorage.getItem(COUNTER_KEY);
  const chooser = field({
    name: "counter", label: t("counter.number"), hint: t("counter.numberHint"), type: "select",
    value: counters.includes(saved) ? saved : "1", options: counters.map((n) => [n, n]),
    onchange: (e) => { localStorage.setItem(COUNTER_KEY, e.target.value); replace(area); },
  });
  const counter = () => chooser.querySelector("select").value;
  const callNext = button(t("counter.call"), {
    class: "button staff-call",
    onclick: async () => {
      box.hidden = true;
      callNext.disabled = true; // a disabled button loses focus: each outcome below says where it goes
      let ticket = null;
      try {
        localStorage.setItem(COUNTER_KEY, counter());
        ticket = await api("POST", `/api/v1/offices/${enc(officeCode())}/counters/${enc(counter())}/call-next`, { auth: true });
      } catch (err) {
        callNext.disabled = false;
        return fail(box, err, { focus: true });
      }
      callNext.disabled = false;
      if (ticket) return showTicket(ticket);
      replace(area, notice(t("counter.empty"), "info"));
      callNext.focus(); // nobody waits: the officer presses again in a moment
    },
  });

  let actions = [];
  function step(ticket, action, label, cls, body = null) {
    const self = button(label, {
      class: `button ${cls}`,
      onclick: async () => {
        box.hidden = true;
        const all = [...actions, callNext];
        all.forEach((b) => { b.disabled = true; }); // one request at a time: no second start, no double no-show
        try {
          const next = await api("POST", `/api/v1/tickets/${enc(ticket.ticket_id)}/${action}`, {
            auth: true, body: body ? body() : undefined, headers: { "Idempotency-Key": idempotencyKey() },
          });
          all.forEach((b) => { b.disabled = false; });
          showTicket({ ...ticket, ...next });
        } catch (err) {
          all.forEach((b) => { b.disabled = false; });
          fail(box, err, { focus: true });
        }
      },
    });
    return self;
  }

  function transferTo(ticket) {
    const choices = [
      ...counters.filter((n) => n !== (ticket.counter || counter())).map((n) => [`counter:${n}`, t("counter.toCounter", { counter: n })]),
      ...Object.entries(names).filter(([c]) => c !== ticket.service_code).map(([c, name]) => [`service:${c}`, t("counter.toService", { service: name })]),
    ];
    return field({ name: "transfer", label: t("counter.transferTo"), type: "select", options: choices, required: false });
  }

  function showTicket(ticket) {
    const open = ticket.status === "called" || ticket.status === "serving";
    if (open) localStorage.setItem(TICKET_KEY, JSON.stringify(ticket));
    else localStorage.removeItem(TICKET_KEY);
    if (!open) {
      // A no-show who turns up later the same day rejoins the queue from here.
      actions = ticket.status === "no_show" ? [step(ticket, "requeue", t("counter.requeue"), "secondary")] : [];
      replace(area, okNotice(t(ticket.status === "waiting" ? "counter.moved" : "counter.finished",
        { number: ticket.ticket_number, status: t(`status.${ticket.status}`) })), h("div", { class: "row" }, actions));
      callNext.focus();
      return;
    }
    const where = transferTo(ticket);
    const chosen = () => {
      const [kind, value] = where.querySelector("select").value.split(":");
      return kind === "counter" ? { counter: value } : { service_code: value };
    };
    actions = ticket.status === "called"
      ? [step(ticket, "start", t("counter.start"), ""), step(ticket, "recall", t("counter.recall"), "secondary"),
         step(ticket, "no-show", t("counter.noShow"), "warning")]
      : [step(ticket, "complete", t("counter.complete"), "")];
    const move = step(ticket, "transfer", t("counter.transfer"), "secondary", chosen);
    actions.push(move);
    replace(area,
      ticketPanel(t("counter.current", { counter: ticket.counter || counter() }), ticket, names,
        h("p", null, h("span", { class: "tag" }, t(`status.${ticket.status}`)), " ", t(`kind.${ticket.kind}`),
          ticket.reservation_code ? ` · ${t("counter.code")} ${ticket.reservation_code}` : null,
)),
      h("div", { class: "row" }, actions.filter((b) => b !== move)),
      h("div", { class: "staff-transfer" }, where, move),
    );
    actions[0].focus();
  }

  main.append(chooser, callNext, area);
  // A reload in the middle of serving someone keeps the ticket on screen.
  try {
    const current = JSON.parse(localStorage.getItem(TICKET_KEY) || "null");
    if (current && current.counter === counter()) showTicket(current);
  } catch (e) {
    localStorage.removeItem(TICKET_KEY);
  }
}

export async function queuePage(main) {
  const box = errorBox();
  // Only the count is a live region, and it changes only when the number waiting does; the time of the
  // last refresh is plain text (announcing it every 10 s would drown a screen reader).
  const count = h("p", { class: "big-number staff-count", role: "status" });
  const updated = h("p", { class: "muted" });
  const list = h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": t("queue.caption") });
  const refresh = button(t("queue.refresh"), { class: "button secondary", onclick: () => load() });
  const quota = h("p", { class: "muted staff-quota" });
  show(main, t("queue.title"), box, count, updated, quota, refresh, list);
  let where, names;
  async function load() {
    try {
      [where, names] = await Promise.all([office(), serviceNames()]);
      const [tickets, q] = await Promise.all([
        api("GET", `/api/v1/offices/${enc(officeCode())}/queue`, { auth: true }),
        api("GET", `/api/v1/offices/${enc(officeCode())}/quotas`, { auth: true })]);
      quota.textContent = q.capacity_minutes ? t("queue.quota", {
        walkUsed: q.walk_in.used_minutes, walkLimit: q.walk_in.limit_minutes,
        prioUsed: q.priority.used_minutes, prioLimit: q.priority.limit_minutes }) : t("queue.noQuota");
      box.hidden = true;
      const counted = t("queue.count", { count: tickets.length });
      if (count.textContent !== counted) count.textContent = counted;
      updated.textContent = t("queue.updated", { time: new Date().toLocaleTimeString(document.documentElement.lang === "en" ? "en-GB" : "id-ID", { timeZone: where.timezone }) });
      replace(list, tickets.length
        ? h("table", null,
            h("caption", { class: "visually-hidden" }, t("queue.caption")),
            h("thead", null, h("tr", null, [t("ticket.number"), t("ticket.service"), t("ticket.priority"), t("ticket.kind"), t("ticket.issued")].map((c) => h("th", { scope: "col" }, c)))),
            h("tbody", null, tickets.map((tk) => h("tr", null,
              h("td", null, h("strong", null, tk.ticket_number)),
              h("td", null, names[tk.service_code] || tk.service_code),
              h("td", null, tk.priority ? t(`priority.${tk.priority}`) : "–"),
              h("td", null, t(`kind.${tk.kind}`)),
              h("td", null, tk.issued_at ? formatTime(tk.issued_at, where.timezone) : "–"),
            ))))
        : h("p", null, t("queue.empty")));
    } catch (err) {
      fail(box, err);
    }
  }
  every(10000, load); // before the first answer, so leaving the page meanwhile stops it too
  await load();
}

