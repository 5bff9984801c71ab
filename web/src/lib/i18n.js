// Every word on screen comes from a catalogue: the shared one (messages.js) plus the app's own. The language
// is Bahasa Indonesia unless the person switched; the switch is remembered on the device.
import { catalogue as common } from "./messages.js";

const KEY = "antre.lang";
const LANGS = ["id", "en"];
let lang = readLang();
let texts = { ...common[lang] };
let appCatalogue = { id: {}, en: {} };

function readLang() {
  try {
    const saved = localStorage.getItem(KEY);
    if (LANGS.includes(saved)) return saved;
  } catch (e) {
    /* storage blocked: default */
  }
  return "id";
}

export function useCatalogue(app) {
  appCatalogue = app;
  texts = { ...common[lang], ...app[lang] };
  document.documentElement.lang = lang;
}

export function language() {
  return lang;
}

/** Switch the language; ``remember: false`` for this page only (a board's ``?lang=en``). */
export function setLanguage(next, { remember = true } = {}) {
  lang = LANGS.includes(next) ? next : "id";
  try {
    if (remember) localStorage.setItem(KEY, lang);
  } catch (e) {
    /* not remembered, still switched */
  }
  useCatalogue(appCatalogue);
}

export function t(key, params) {
  let text = texts[key];
  if (text === undefined) {
    console.warn("missing message", key);
    text = key;
  }
  if (params) text = text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  return text;
}

export function has(key) {
  return key in texts;
}

const LOCALES = { id: "id-ID", en: "en-GB" };

/** A calendar date "2026-12-07" as "Senin, 7 Desember 2026" (no time zone: it is the office's date). */
export function formatDate(isoDate, options = { weekday: "long", day: "numeric", month: "long", year: "numeric" }) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Intl.DateTimeFormat(LOCALES[lang], { ...options, timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** A moment with offset as the office's wall-clock time, "08.30 WIB". */
export function formatTime(isoMoment, timeZone, withZone = true) {
  const text = new Intl.DateTimeFormat(LOCALES[lang], { hour: "2-digit", minute: "2-digit", hour12: false, timeZone }).format(
    new Date(isoMoment),
  );
  return withZone ? `${text} ${zoneName(timeZone)}` : text;
}

export function formatDateTime(isoMoment, timeZone) {
  const when = new Date(isoMoment);
  const day = new Intl.DateTimeFormat(LOCALES[lang], { day: "numeric", month: "long", year: "numeric", timeZone }).format(when);
  return `${day}, ${formatTime(isoMoment, timeZone)}`;
}

export function zoneName(timeZone) {
  return has(`zone.${timeZone}`) ? t(`zone.${timeZone}`) : timeZone;
}

export function formatNumber(value) {
  return new Intl.NumberFormat(LOCALES[lang]).format(value);
}
