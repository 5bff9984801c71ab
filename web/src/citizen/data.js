// Public catalogue data, fetched once per page load, and the booking being prepared (kept in this tab so that
// a dropped connection or a reload loses nothing).
import { api } from "../lib/api.js";
import { language, t, has } from "../lib/i18n.js";

let services = null;
let offices = null;

export async function getServices() {
  services ||= api("GET", "/api/v1/services").catch((e) => ((services = null), Promise.reject(e)));
  return services;
}

export async function getOffices() {
  offices ||= api("GET", "/api/v1/offices").catch((e) => ((offices = null), Promise.reject(e)));
  return offices;
}

export async function getService(code) {
  return (await getServices()).find((s) => s.code === code);
}

export async function getOffice(code) {
  return (await getOffices()).find((o) => o.code === code);
}

export function serviceName(service) {
  return (language() === "en" && service.name_en) || service.name;
}

export function documentName(doc) {
  return language() === "en" && has(`doc.${doc.type}`) ? t(`doc.${doc.type}`) : doc.name;
}

const DRAFT = "antre.draft";

export function draft() {
  try {
    return JSON.parse(sessionStorage.getItem(DRAFT) || "{}");
  } catch (e) {
    return {};
  }
}

export function setDraft(change) {
  const next = { ...draft(), ...change };
  sessionStorage.setItem(DRAFT, JSON.stringify(next));
  return next;
}

export function clearDraft() {
  sessionStorage.removeItem(DRAFT);
}

/** Free and full slots of an office for a service; without dates, every day the office has released. */
export async function availability(office, service, from, to) {
  const q = new URLSearchParams({ service });
  if (from) q.set("from", from);
  if (to) q.set("to", to);
  return api("GET", `/api/v1/offices/${encodeURIComponent(office)}/availability?${q}`);
}

// Bookings seen on this device, so that they open with no signal (code, QR, office; no personal data).
export const SAVED = "antre.citizen.saved";

export function savedBookings() {
  try {
    return JSON.parse(localStorage.getItem(SAVED) || "{}");
  } catch (e) {
    return {};
  }
}

export function saveBooking(code, entry) {
  const all = savedBookings();
  all[code] = { ...all[code], ...entry, saved_at: new Date().toISOString() };
  try {
    localStorage.setItem(SAVED, JSON.stringify(all));
  } catch (e) {
    /* storage full: the page still works online */
  }
}
