// The citizen app: register, reset a forgotten password, book (for oneself or a dependent), see the booking
// and its QR (also offline), upload documents, family members, check a message's code and see every message
// Antre sent.
import { useCatalogue, t } from "../lib/i18n.js";
import { frame, h, show, button } from "../lib/dom.js";
import { router, go } from "../lib/router.js";
import * as session from "../lib/session.js";
import { api } from "../lib/api.js";
import { catalogue } from "./messages.js";
import { SAVED } from "./data.js";
import { registerPage, verifyPage, loginPage, helpPage, forgotPage, resetPage } from "./account.js";
import { familyPage, addDependentPage } from "./family.js";
import { homePage, officePage, dayPage, slotPage, checkPage } from "./book.js";
import { bookingsPage, bookingPage, cancelPage, reschedulePage } from "./bookings.js";
import { documentsPage } from "./documents.js";
import { checkMessagePage, inboxPage } from "./inbox.js";
import { waitingRoomPage, waitlistPage } from "./release.js";

useCatalogue(catalogue);
session.useSession("citizen");

/** The frame with the menu for who is signed in; returns the main region for the page. */
export function page() {
  const nav = session.signedIn()
    ? [
        h("a", { href: "/bookings" }, t("nav.bookings")),
        h("a", { href: "/" }, t("nav.book")),
        h("a", { href: "/waitlist" }, t("nav.waitlist")),
        h("a", { href: "/messages" }, t("nav.messages")),
        h("a", { href: "/family" }, t("nav.family")),
        h("button", { type: "button", class: "link", onclick: logout }, t("logout")),
      ]
    : [h("a", { href: "/login" }, t("login")), h("a", { href: "/register" }, t("nav.register"))];
  return frame({ nav, onLanguage: () => render() });
}

async function logout() {
  const refresh = session.load()?.refresh;
  session.clear([SAVED]); // the bookings saved for offline use go too: a phone may be shared
  sessionStorage.clear();
  if (refresh) api("POST", "/api/v1/auth/logout", { body: { refresh_token: refresh } }).catch(() => {});
  go("/");
}

function notFound() {
  const main = page();
  show(main, t("notFound"), h("p", null, t("notFoundBody")), h("p", null, h("a", { href: "/" }, t("home"))));
}

const render = router(
  [
    [/^\/$/, homePage],
    [/^\/register$/, registerPage],
    [/^\/verify$/, verifyPage],
    [/^\/login$/, loginPage],
    [/^\/help$/, helpPage],
    [/^\/forgot$/, forgotPage],
    [/^\/reset$/, resetPage],
    [/^\/family$/, familyPage],
    [/^\/family\/add$/, addDependentPage],
    [/^\/check$/, checkMessagePage],
    [/^\/messages$/, inboxPage],
    [/^\/book\/check$/, checkPage],
    [/^\/book\/([a-z0-9_-]+)$/, officePage],
    [/^\/book\/([a-z0-9_-]+)\/([A-Za-z0-9_-]+)$/, dayPage],
    [/^\/book\/([a-z0-9_-]+)\/([A-Za-z0-9_-]+)\/(\d{4}-\d{2}-\d{2})$/, slotPage],
    [/^\/bookings$/, bookingsPage],
    [/^\/waitlist$/, waitlistPage],
    [/^\/release\/([A-Za-z0-9-]+)$/, waitingRoomPage],
    [/^\/bookings\/([A-Za-z0-9]+)$/, bookingPage],
    [/^\/bookings\/([A-Za-z0-9]+)\/documents$/, documentsPage],
    [/^\/bookings\/([A-Za-z0-9]+)\/cancel$/, cancelPage],
    [/^\/bookings\/([A-Za-z0-9]+)\/reschedule$/, reschedulePage],
  ],
  notFound,
);

/** A page that needs a signed-in citizen sends them to log in, and back here afterwards. */
export function needLogin(reason) {
  const next = location.pathname + location.search;
  if (reason) sessionStorage.setItem("antre.loginReason", reason);
  go(`/login?next=${encodeURIComponent(next)}`, { replace: true });
}

export function retryButton() {
  return button(t("retry"), { class: "button secondary", onclick: () => render() });
}

render();

// Offline: the shell, the bundles and (through localStorage) each booking seen on this device.
if ("serviceWorker" in navigator && location.protocol !== "file:") {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
}
