// Supervisors' pages: the office's capacity (check the changes, then save), the visitor forecast as a bar
// chart with the same figures in a table, and the daily statistics.
import { t, formatDate } from "../lib/i18n.js";
import { h, s, show, field, button, replace, showErrors, values, notice } from "../lib/dom.js";
import { api } from "../lib/api.js";
import { officeCode, office, fail, errorBox, okNotice, todayIn, num } from "./common.js";

const enc = encodeURIComponent;
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const SLOTS = [15, 20, 30, 45, 60, 90, 120];
// "08:00-12:00" or the Indonesian "08.00-12.00" (and "8.00-12.00"); kept as "08:00" for the API.
const RANGE = /^(\d{1,2})[.:]([0-5]\d)-(\d{1,2})[.:]([0-5]\d)$/;

/** "8.00-12.00" → ["08:00", "12:00"], or null when it is not a range of times. */
function parseRange(text) {
  const m = RANGE.exec(text);
  if (!m) return null;
  const [, h1, m1, h2, m2] = m;
  if (Number(h1) > 23 || Number(h2) > 23) return null;
  return [`${h1.padStart(2, "0")}:${m1}`, `${h2.padStart(2, "0")}:${m2}`];
}

function hoursText(ranges) {
  return (ranges || []).map(([a, b]) => `${a}-${b}`).join(", ");
}

export async function capacityPage(main) {
  const box = errorBox();
  show(main, t("capacity.title"), box);
  let current;
  try {
    current = await api("GET", `/api/v1/offices/${enc(officeCode())}`); // fresh, not the page cache
  } catch (err) {
    return fail(box, err);
  }
  editForm(main, box, current, null);
}

function editForm(main, box, current, draft, saved) {
  const v = draft || {
    counters: current.counters, slot_minutes: current.slot_minutes, online_share: current.online_share,
    opening_hours: current.opening_hours || {},
  };
  const form = h("form", { novalidate: true, class: "staff-capacity" },
    field({ name: "counters", label: t("capacity.counters"), type: "number", min: 1, max: 100, inputmode: "numeric", value: String(v.counters) }),
    field({ name: "slot_minutes", label: t("capacity.slot"), type: "select", value: String(v.slot_minutes), options: SLOTS.map((m) => [String(m), String(m)]) }),
    field({ name: "online_share", label: t("capacity.share"), hint: t("capacity.shareHint"), type: "number", min: 0, max: 100, inputmode: "numeric", value: String(Math.round(v.online_share * 100)) }),
    h("fieldset", { class: "staff-hours" },
      h("legend", null, t("capacity.hours")),
      h("p", { class: "hint" }, t("capacity.hoursHint")),
      DAYS.map((d) => field({ name: `hours_${d}`, label: t(`day.${d}`), required: false, value: hoursText(v.opening_hours[d]), autocomplete: "off" })),
    ),
    h("button", { class: "button", type: "submit" }, t("capacity.check")),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const raw = values(form);
    const errors = {};
    const counters = Number(raw.counters);
    if (!Number.isInteger(counters) || counters < 1 || counters > 100) errors.counters = [t("capacity.range", { min: 1, max: 100 })];
    const share = Number(raw.online_share);
    if (raw.online_share === "" || !Number.isInteger(share) || share < 0 || share > 100) errors.online_share = [t("capacity.range", { min: 0, max: 100 })];
    const opening_hours = {};
    for (const d of DAYS) {
      const text = raw[`hours_${d}`].replace(/\s+/g, "").replace(/[–—]/g, "-");
      if (!text) continue;
      const parts = text.split(",").filter(Boolean).map(parseRange);
      if (!parts.every((p) => p && p[0] < p[1])) errors[`hours_${d}`] = [t("capacity.hoursInvalid")];
      else opening_hours[d] = parts;
    }
    if (Object.keys(errors).length) return showErrors(form, [], errors);
    checkPage(main, box, current, { counters, slot_minutes: Number(raw.slot_minutes), online_share: share / 100, opening_hours });
  });
  show(main, t("capacity.title"), box, saved ? okNotice(saved) : null, h("p", null, t("capacity.current", { office: current.name })), form,
    h("p", { class: "muted" }, t("capacity.closures")));
}

function checkPage(main, box, current, body) {
  const rows = [
    [t("capacity.counters"), String(body.counters)],
    [t("capacity.slot"), String(body.slot_minutes)],
    [t("capacity.share"), `${Math.round(body.online_share * 100)}%`],
    ...DAYS.map((d) => [t(`day.${d}`), hoursText(body.opening_hours[d]) || t("capacity.closed")]),
  ];
  const save = button(t("capacity.confirm"), {
    onclick: async () => {
      save.disabled = true;
      box.hidden = true;
      try {
        const result = await api("PUT", `/api/v1/offices/${enc(officeCode())}/capacity`, { auth: true, body });
        const kept = result.kept_booked_slots ? ` ${t("capacity.kept", { count: result.kept_booked_slots })}` : "";
        editForm(main, box, result, null, t("capacity.saved") + kept);
      } catch (err) {
        save.disabled = false;
        fail(box, err, { focus: true });
      }
    },
  });
  show(main, t("capacity.checkTitle"), box,
    h("dl", { class: "summary-list" }, rows.map(([k, v]) => h("div", null, h("dt", null, k), h("dd", null, v)))),
    notice(t("capacity.checkNote"), "info"),
    save,
    button(t("change"), { class: "button secondary", onclick: () => editForm(main, box, current, body) }),
  );
}

/** A from/to form; ``load(from, to)`` fills the page below it. */
async function rangePage(main, title, fromDays, toDays, load) {
  const box = errorBox();
  const out = h("div", { class: "staff-result" });
  show(main, title, box);
  let where;
  try {
    where = await office();
  } catch (err) {
    return fail(box, err);
  }
  const form = h("form", { novalidate: true, class: "staff-range" }, h("div", { class: "row" }, // the error summary goes above the row
    field({ name: "from", label: t("range.from"), type: "date", value: todayIn(where.timezone, fromDays) }),
    field({ name: "to", label: t("range.to"), type: "date", value: todayIn(where.timezone, toDays) }),
    h("div", { class: "field" }, h("button", { class: "button", type: "submit" }, t("range.show"))), // lined up with the dates
  ));
  async function run(pressed = false) {
    const { from, to } = values(form);
    box.hidden = true;
    // Checked here first, on the field to fix, rather than sent for the API to refuse.
    const errors = {};
    if (!from) errors.from = [t("range.missing")];
    if (!to) errors.to = [t("range.missing")];
    else if (from && from > to) errors.to = [t("range.order")];
    showErrors(form, [], errors);
    if (Object.keys(errors).length) return replace(out);
    try {
      const days = await api("GET", `/api/v1/offices/${enc(officeCode())}/${load.path}?from=${enc(from)}&to=${enc(to)}`, { auth: true });
      replace(out, load.draw(days));
    } catch (err) {
      replace(out);
      fail(box, err, { focus: pressed });
    }
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); run(true); });
  main.append(form, out);
  await run();
}

function table(caption, headers, rows) {
  return h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": caption }, h("table", null,
    h("caption", null, caption),
    h("thead", null, h("tr", null, headers.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", null, rows.map((r) => h("tr", null, r.map((c, i) => (i === 0 ? h("th", { scope: "row" }, c) : h("td", null, c)))))),
  ));
}

const shortDate = (d) => formatDate(d, { weekday: "short", day: "numeric", month: "short" });

function chart(days) {
  const W = 640, H = 260, top = 24, bottom = 40, left = 8;
  const max = Math.max(1, ...days.map((d) => d.expected_visitors));
  const step = (W - left * 2) / days.length;
  const bar = Math.min(56, step * 0.7);
  return s("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart staff-chart", "aria-hidden": "true", focusable: "false" },
    s("line", { x1: 0, x2: W, y1: H - bottom, y2: H - bottom, class: "chart-axis" }),
    days.map((d, i) => {
      const x = left + i * step + (step - bar) / 2;
      const height = d.closed ? 0 : ((H - top - bottom) * d.expected_visitors) / max;
      const y = H - bottom - height;
      return s("g", { class: d.closed ? "chart-closed" : null },
        s("rect", { x, y, width: bar, height, class: "chart-bar" }),
        s("text", { x: x + bar / 2, y: y - 6, "text-anchor": "middle" }, d.closed ? t("forecast.closed") : num(d.expected_visitors, 0)),
        s("text", { x: x + bar / 2, y: H - bottom + 18, "text-anchor": "middle" }, shortDate(d.date)),
      );
    }),
  );
}

export function forecastPage(main) {
  return rangePage(main, t("forecast.title"), 0, 6, {
    path: "forecast",
    draw: (days) => days.length
      ? [
          // How the counters are reckoned and how far past forecasts were off (the back-test).
          h("p", { class: "staff-model" }, t("forecast.model", {
            share: Math.round((days[0].service_level?.target ?? 0.8) * 100), minutes: num(days[0].service_level?.within_minutes ?? 15),
            service: num(days[0].service_minutes ?? 0) })),
          h("p", { class: "staff-backtest" }, days[0].backtest?.mean_absolute_percentage_error != null
            ? t("forecast.backtest", { mape: num(days[0].backtest.mean_absolute_percentage_error), days: days[0].backtest.days })
            : t("forecast.noBacktest")),
          h("p", { class: "muted" }, t("forecast.chartNote")),
          h("figure", { class: "staff-figure" }, chart(days)),
          table(t("forecast.caption"),
            [t("forecast.date"), t("forecast.booked"), t("forecast.noShow"), t("forecast.walkIn"), t("forecast.visitors"), t("forecast.counters")],
            days.map((d) => [formatDate(d.date), String(d.booked), num(d.expected_no_show), num(d.expected_walk_in), d.closed ? t("forecast.closed") : num(d.expected_visitors), d.closed ? "–" : String(d.recommended_counters)])),
        ]
      : h("p", null, t("forecast.none")),
  });
}

export function statsPage(main) {
  return rangePage(main, t("stats.title"), -6, 0, {
    path: "stats",
    draw: (days) => days.length
      ? table(t("stats.caption"),
          [t("stats.date"), t("stats.bookings"), t("stats.cancellations"), t("stats.noShows"), t("stats.walkIns"), t("stats.served"), t("stats.meanWait"), t("stats.p90Wait"), t("stats.meanService")],
          days.map((d) => [formatDate(d.date), String(d.bookings), String(d.cancellations), String(d.no_shows), String(d.walk_ins), String(d.served), num(d.mean_wait_minutes), num(d.p90_wait_minutes), num(d.mean_service_minutes)]))
      : h("p", null, t("stats.none")),
  });
}

// Indonesia keeps no daylight saving: each office zone has one offset all year.
const OFFSETS = { "Asia/Jakarta": "+07:00", "Asia/Pontianak": "+07:00", "Asia/Makassar": "+08:00", "Asia/Jayapura": "+09:00" };

export async function disruptionsPage(main) {
  const box = errorBox();
  const list = h("div", { class: "staff-disruptions" });
  show(main, t("disrupt.title"), h("p", null, t("disrupt.intro")), box);
  let where;
  try {
    where = await office();
  } catch (err) {
    return fail(box, err);
  }
  const offset = OFFSETS[where.timezone] || "+07:00";
  const form = h("form", { novalidate: true, class: "staff-disrupt" },
    field({ name: "from", label: t("disrupt.from"), hint: t("disrupt.zone", { zone: where.timezone }), type: "datetime-local" }),
    field({ name: "to", label: t("disrupt.to"), type: "datetime-local" }),
    field({ name: "reason", label: t("disrupt.reason"), hint: t("disrupt.reasonHint"), maxlength: 300 }),
    h("button", { class: "button", type: "submit" }, t("disrupt.submit")),
  );
  async function load(flash) {
    const current = await api("GET", `/api/v1/offices/${enc(officeCode())}/disruptions`);
    replace(list, flash ? okNotice(flash) : null, h("h2", null, t("disrupt.current")), current.length
      ? h("ul", { class: "cards" }, current.map((d) => h("li", { class: "card" },
          h("p", null, h("strong", null, `${formatDate(d.from.slice(0, 10))} ${d.from.slice(11, 16)} – ${formatDate(d.to.slice(0, 10))} ${d.to.slice(11, 16)}`)),
          h("p", null, d.reason))))
      : h("p", { class: "muted" }, t("disrupt.none")));
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    box.hidden = true;
    const v = values(form);
    const errors = {};
    for (const k of ["from", "to", "reason"]) if (!v[k]) errors[k] = [t("login.missing")];
    if (!errors.from && !errors.to && v.to <= v.from) errors.to = [t("disrupt.order")];
    if (Object.keys(errors).length) return showErrors(form, [], errors);
    showErrors(form, []);
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      const made = await api("POST", `/api/v1/offices/${enc(officeCode())}/disruptions`, {
        auth: true, body: { from: `${v.from}:00${offset}`, to: `${v.to}:00${offset}`, reason: v.reason },
      });
      form.reset();
      await load(t("disrupt.done", { count: made.affected_bookings }));
    } catch (err) {
      fail(box, err, { focus: true });
    } finally {
      submit.disabled = false;
    }
  });
  main.append(form, list);
  try {
    await load();
  } catch (err) {
    fail(box, err);
  }
}
