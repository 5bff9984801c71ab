// The board on a screen in the waiting hall: who is called to which counter (the newest first and
// highlighted), how many wait and for how long, and the office's clock. No login, no input: it listens to
// the board's event stream, keeps the last picture when the network drops (with a banner saying so), and
// recovers by itself.
import { useCatalogue, t, setLanguage, language, formatNumber } from "../lib/i18n.js";
import { h, replace } from "../lib/dom.js";
import { api } from "../lib/api.js";
import { catalogue } from "./messages.js";

const POLL_MS = 1000;
const MAX_BACKOFF_MS = 5000;
const REQUEST_TIMEOUT_MS = 4000;

// A screen has no keyboard: ?lang=en, for this page only (the device's other apps keep their own choice).
const wanted = new URLSearchParams(location.search).get("lang");
if (wanted && wanted !== language()) setLanguage(wanted, { remember: false });
useCatalogue(catalogue);

const code = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "").toUpperCase();
const enc = encodeURIComponent;

const title = h("h1", null, t("board.title"));
const clock = h("p", { class: "board-clock" });
const banner = h("p", { class: "board-conn", role: "status", hidden: true });
const rows = h("tbody");
const empty = h("p", { class: "board-empty", hidden: true }, t("board.none"));
const waiting = h("strong", { class: "board-waiting" }, "–");
const wait = h("strong", { class: "board-estimate" }, "–");
const announce = h("p", { class: "visually-hidden", "aria-live": "assertive" });

replace(document.getElementById("app"),
  h("div", { class: "board" },
    h("header", { class: "board-head" }, title, clock),
    banner,
    h("main", { class: "board-grid", id: "main" },
      h("section", { "aria-labelledby": "now-serving" },
        h("h2", { id: "now-serving", class: "board-label" }, t("board.nowServing")),
        h("table", { class: "board-table" },
          h("thead", null, h("tr", null, h("th", { scope: "col" }, t("board.number")), h("th", { scope: "col" }, t("board.counter")))),
          rows),
        empty),
      h("section", { class: "board-side" },
        h("p", { class: "board-stat" }, t("board.waiting"), waiting),
        h("p", { class: "board-stat" }, t("board.wait"), wait),
        h("p", { class: "board-tip" }, t("board.tip"))),
    ),
    announce,
  ),
);

let office = null;
let seen = null; // ticket numbers on screen, to announce only new calls
let lastUpdate = null;
let delay = POLL_MS;
let timer = null;

function withTimeout(promise) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), REQUEST_TIMEOUT_MS))]);
}

function timeText(date, seconds = true) {
  const opts = { hour: "2-digit", minute: "2-digit", second: seconds ? "2-digit" : undefined, hour12: false, timeZone: office?.timezone };
  const text = new Intl.DateTimeFormat(language() === "en" ? "en-GB" : "id-ID", opts).format(date);
  const zone = office && t(`zone.${office.timezone}`);
  return zone && !zone.startsWith("zone.") ? `${text} ${zone}` : text;
}

function tick() {
  if (office) clock.textContent = timeText(new Date());
}

function draw(board) {
  const list = board.now_serving || [];
  replace(rows, list.map((item, i) => h("tr", { class: i === 0 ? "fresh" : null },
    h("td", { class: "board-number" }, item.ticket_number),
    h("td", { class: "board-counter" }, item.counter))));
  empty.hidden = list.length > 0;
  const plural = new Intl.PluralRules(language() === "en" ? "en-GB" : "id-ID").select(board.waiting) === "one" ? "one" : "other";
  waiting.textContent = t(`board.people.${plural}`, { count: formatNumber(board.waiting) });
  wait.textContent = board.estimated_wait_minutes > 0 ? t("board.minutes", { minutes: formatNumber(board.estimated_wait_minutes) }) : t("board.noWait");
  const numbers = new Set(list.map((x) => `${x.ticket_number}@${x.counter}`));
  if (seen) {
    const fresh = list.filter((x) => !seen.has(`${x.ticket_number}@${x.counter}`));
    if (fresh.length) announce.textContent = fresh.map((x) => t("board.call", { number: x.ticket_number, counter: x.counter })).join(" ");
  }
  seen = numbers;
}

function connected(ok) {
  document.body.classList.toggle("board-offline", !ok);
  banner.hidden = ok;
  if (!ok) banner.textContent = lastUpdate ? t("board.lost", { time: timeText(lastUpdate, false) }) : t("board.lostNoData");
}

// The board arrives as server-sent events (one per change, driven by the ticket events); the browser's
// EventSource reconnects by itself after the server's retry time. A connection that says nothing for
// longer than the server's keep-alive, or a device that goes offline, shows the banner; polling is left
// for browsers without EventSource.
const STALE_MS = 40000; // the server sends a keep-alive every 15 s
let source = null;
let stale = null;

function shown(board) {
  draw(board);
  lastUpdate = new Date();
  connected(true);
  clearTimeout(stale);
  stale = setTimeout(() => connected(false), STALE_MS);
}

function listen() {
  if (source) source.close();
  source = new EventSource(`/api/v1/offices/${enc(code)}/board/stream`);
  source.addEventListener("board", (e) => shown(JSON.parse(e.data)));
  source.addEventListener("message", () => { clearTimeout(stale); stale = setTimeout(() => connected(false), STALE_MS); });
  source.onerror = () => {
    connected(false);
    if (source.readyState === EventSource.CLOSED) { // refused (e.g. 503): try again later, ourselves
      clearTimeout(timer);
      timer = setTimeout(listen, MAX_BACKOFF_MS);
    }
  };
}

async function poll() {
  clearTimeout(timer);
  try {
    if (!office) {
      office = await withTimeout(api("GET", `/api/v1/offices/${enc(code)}`));
      title.textContent = office.name;
      document.title = `${office.name} — ${t("board.title")}`;
      tick();
      if ("EventSource" in window) return listen();
    }
    draw(await withTimeout(api("GET", `/api/v1/offices/${enc(code)}/board`)));
    lastUpdate = new Date();
    connected(true);
    delay = POLL_MS;
  } catch (err) {
    if (err.status === 404) {
      title.textContent = t("board.unknownOffice", { code });
      delay = MAX_BACKOFF_MS;
    } else {
      connected(false);
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
    }
  }
  timer = setTimeout(poll, delay);
}

document.title = t("board.title");
setInterval(tick, 1000);
addEventListener("online", () => { delay = POLL_MS; if (source) listen(); else poll(); });
addEventListener("offline", () => { connected(false); if (source) source.close(); });
poll();
