// The status page: each part of the suite up or down in plain words (never colour alone), what a part that
// is down cannot reach, when it was checked; refreshed every 15 s. When the gateway itself does not answer,
// the page says so and keeps the last result it had. Office disruptions a supervisor announced are listed
// above the parts, with the office, the period and the reason.
import { useCatalogue, t, has, language, formatNumber } from "../lib/i18n.js";
import { frame, h, show, button, replace } from "../lib/dom.js";
import { api } from "../lib/api.js";
import { catalogue } from "./messages.js";

const REFRESH_MS = 15000;

useCatalogue(catalogue);

let last = null; // {services, at}
let gatewayDown = false;
let timer = null;

const part = (name) => (has(`part.${name}`) ? t(`part.${name}`) : name);

function timeText(date) {
  return new Intl.DateTimeFormat(language() === "en" ? "en-GB" : "id-ID", {
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZoneName: "short",
  }).format(date);
}

let region = null;
let summaryBox = null; // holds the live summary; refilled only when its words change
let summaryKey = null;
let checked = null;
let partsBox = null;
let disruptionsBox = null;

function periodText(from, to) {
  const opts = { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hour12: false };
  const f = new Intl.DateTimeFormat(language() === "en" ? "en-GB" : "id-ID", opts);
  return `${f.format(new Date(from))} – ${f.format(new Date(to))}`;
}

/** The page's frame once (and again on a language switch); each check only refills the parts below the
 * heading that changed, so focus and the reader's place are not moved every 15 s, and the live summary is
 * announced when something changes, not on every check. */
function render() {
  const main = frame({ onLanguage: render });
  summaryBox = h("div", { class: "status-summary-box" });
  summaryKey = null;
  checked = h("p", { class: "muted status-checked", hidden: true });
  partsBox = h("div");
  disruptionsBox = h("div");
  region = h("div", { class: "status-region" },
    summaryBox, checked, button(t("status.checkNow"), { class: "button secondary", onclick: () => check() }), disruptionsBox, partsBox);
  show(main, t("status.title"), h("p", null, t("status.intro")), region);
  update();
}

function update() {
  let key, summary;
  if (gatewayDown) {
    key = `gateway:${last ? last.at.getTime() : ""}`;
    summary = h("div", { class: "notice notice-error status-gateway", role: "alert" },
      h("p", null, t("status.gatewayDown")),
      last ? h("p", null, t("status.stale", { time: timeText(last.at) })) : null);
  } else if (last) {
    const down = last.services.filter((s) => s.status !== "up");
    const text = down.length ? t("status.someDown", { parts: down.map((s) => part(s.name)).join(", ") }) : t("status.allUp");
    key = `parts:${text}`;
    summary = h("div", { class: `notice ${down.length ? "notice-error" : "notice-ok"} status-summary`, role: "status" }, text);
  } else {
    key = "checking";
    summary = h("p", { role: "status" }, t("status.checking"));
  }
  if (key !== summaryKey) {
    summaryKey = key;
    replace(summaryBox, summary);
  }
  checked.hidden = !(last && !gatewayDown);
  if (!checked.hidden) checked.textContent = t("status.checked", { time: timeText(last.at) });
  const announced = (last && last.disruptions) || [];
  replace(disruptionsBox, announced.length
    ? h("section", { class: "status-disruptions", "aria-labelledby": "disruptions-title" },
        h("h2", { id: "disruptions-title" }, t("status.disruptions")),
        h("ul", { class: "cards" }, announced.map((d) => h("li", { class: "card notice-warn status-disruption" },
          h("h3", null, t("status.office", { code: d.office_code })),
          h("p", null, periodText(d.from, d.to)),
          h("p", null, d.reason)))),
        h("p", { class: "muted" }, t("status.disruptionsNote")))
    : null);
  replace(partsBox, last
    ? h("ul", { class: "cards two status-parts", "aria-label": t("status.parts") }, last.services.map((s) => {
        const up = s.status === "up";
        return h("li", { class: `card status-part ${up ? "is-up" : "is-down"}`, "data-service": s.name },
          h("h2", null, capital(part(s.name))),
          has(`status.what.${s.name}`) ? h("p", { class: "muted" }, t(`status.what.${s.name}`)) : null,
          h("p", { class: "status-state" },
            h("span", { class: `tag ${up ? "ok" : "bad"}` }, h("span", { "aria-hidden": "true" }, up ? "✓ " : "✕ "), t(up ? "status.up" : "status.down"))),
          !up && s.failed?.length ? h("p", null, t("status.cannotReach", { what: s.failed.map(part).join(", ") })) : null,
          up && s.rtt_ms != null ? h("p", { class: "muted" }, t("status.rtt", { ms: formatNumber(Math.round(s.rtt_ms)) })) : null,
        );
      }))
    : null);
}

function capital(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

async function check() {
  clearTimeout(timer);
  try {
    const answer = await api("GET", "/api/v1/status");
    last = { services: answer.services || [], disruptions: answer.disruptions || [], at: new Date() };
    gatewayDown = false;
  } catch (err) {
    gatewayDown = true; // no answer, or an answer that is not the gateway's (a proxy's error page)
  }
  update();
  timer = setTimeout(check, REFRESH_MS);
}

render();
check();
