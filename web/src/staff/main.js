// The office console: officers check visitors in, give walk-in numbers, call the next visitor to their
// counter and review documents; supervisors (and admins) also set capacity and read forecast and statistics.
// Signing in happens on the page that was asked for, so a lost session comes back to the same page.
import { useCatalogue, t } from "../lib/i18n.js";
import { frame, h, show, field, showErrors, notice, button } from "../lib/dom.js";
import { router, go } from "../lib/router.js";
import * as session from "../lib/session.js";
import { api, explain } from "../lib/api.js";
import { catalogue } from "./messages.js";
import { state, officeCode, chooseOffice, cached, stopTimers, fail, errorBox } from "./common.js";
import { checkInPage, walkInPage, counterPage, queuePage } from "./desk.js";
import { documentsPage } from "./review.js";
import { codeStep, endMySessions, accountsPage } from "./account.js";
import { capacityPage, forecastPage, statsPage, disruptionsPage } from "./insight.js";

useCatalogue(catalogue);
session.useSession("staff");

const STAFF = ["officer", "supervisor", "admin"];
const SUPERVISORS = ["supervisor", "admin"];
const ADMINS = ["admin"];
const NATIONAL = ["accounts"]; // pages about no one office
const PAGES = [
  ["check-in", "nav.checkIn", "desc.checkIn", checkInPage, STAFF],
  ["walk-in", "nav.walkIn", "desc.walkIn", walkInPage, STAFF],
  ["counter", "nav.counter", "desc.counter", counterPage, STAFF],
  ["queue", "nav.queue", "desc.queue", queuePage, STAFF],
  ["documents", "nav.documents", "desc.documents", documentsPage, STAFF],
  ["capacity", "nav.capacity", "desc.capacity", capacityPage, SUPERVISORS],
  ["forecast", "nav.forecast", "desc.forecast", forecastPage, SUPERVISORS],
  ["stats", "nav.stats", "desc.stats", statsPage, SUPERVISORS],
  ["disruptions", "nav.disruptions", "desc.disruptions", disruptionsPage, SUPERVISORS],
  ["accounts", "nav.accounts", "desc.accounts", (main) => accountsPage(main, state.me), ADMINS],
];

state.onSessionLost = () => render();

function mine() {
  return PAGES.filter(([, , , , roles]) => roles.includes(state.me?.role));
}

/** The frame with the console's menu (only the pages this role may open). */
function page(current) {
  const nav = state.me && state.me.role !== "citizen"
    ? [
        h("a", { href: "/staff/", "aria-current": current === "home" ? "page" : null }, t("nav.console")),
        ...mine().map(([slug, label]) => h("a", { href: `/staff/${slug}`, "aria-current": current === slug ? "page" : null }, t(label))),
        h("button", { type: "button", class: "link", onclick: logout }, t("logout")),
      ]
    : [];
  return frame({ nav, onLanguage: () => render(), home: "/staff/" });
}

async function logout() {
  const refresh = session.load()?.refresh;
  // The counter number and the chosen office belong to the desk, not to the person: keep them.
  const keep = ["antre.staff.counter", "antre.staff.office"].map((k) => [k, localStorage.getItem(k)]);
  session.clear();
  keep.forEach(([k, v]) => v && localStorage.setItem(k, v));
  state.me = null;
  if (refresh) api("POST", "/api/v1/auth/logout", { body: { refresh_token: refresh } }).catch(() => {});
  go("/staff/");
}

/** Who is signed in, once per load; null when nobody is (the sign-in form shows instead). */
async function whoAmI(main) {
  if (!session.signedIn()) return null;
  if (state.me) return state.me;
  try {
    state.me = await api("GET", "/api/v1/me", { auth: true });
    return state.me;
  } catch (err) {
    if (err.code === "SESSION_EXPIRED") {
      session.clear();
      return null;
    }
    const box = errorBox();
    show(main, t("console.title"), box, button(t("retry"), { class: "button secondary", onclick: () => render() }));
    fail(box, err);
    return undefined;
  }
}

function loginForm(why) {
  const main = page("login");
  const reason = why || sessionStorage.getItem("antre.staff.reason");
  sessionStorage.removeItem("antre.staff.reason");
  const form = h("form", { novalidate: true },
    field({ name: "email", label: t("login.email"), type: "email", autocomplete: "username" }),
    field({ name: "password", label: t("login.password"), type: "password", autocomplete: "current-password" }),
    h("button", { class: "button", type: "submit" }, t("login")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { email: form.elements.email.value.trim(), password: form.elements.password.value };
    const missing = Object.fromEntries(Object.entries(body).filter(([, v]) => !v).map(([k]) => [k, [t("login.missing")]]));
    if (Object.keys(missing).length) return showErrors(form, [], missing);
    const signedIn = (tokens) => {
      session.save(tokens);
      state.me = null;
      render(); // the page that was asked for
    };
    try {
      const answer = await api("POST", "/api/v1/auth/login", { body });
      // Staff: no tokens for a password alone; the authenticator's code comes next (enrolment first).
      if (answer.challenge_token) return codeStep(main, answer, signedIn, (why) => loginForm(typeof why === "string" ? why : null));
      signedIn(answer);
    } catch (err) {
      showErrors(form, [explain(err)], err.status === 400 ? err.errors : {});
    }
  });
  show(main, t("login.title"), reason ? notice(reason, "warn") : null, h("p", null, t("login.intro")), form);
}

function citizenRefused() {
  const main = page("refused");
  show(main, t("citizen.title"),
    notice(t("citizen.body"), "warn"),
    h("p", null, h("a", { href: "/" }, t("citizen.link"))),
    button(t("logout"), { class: "button secondary", onclick: logout }),
  );
}

async function homePage() {
  const main = page("home");
  const me = state.me;
  const role = t(`role.${me.role}`);
  const items = h("ul", { class: "cards two staff-menu" },
    mine().map(([slug, label, desc]) =>
      h("li", null, h("a", { class: "choice", href: `/staff/${slug}` }, h("strong", null, t(label)), h("span", null, t(desc))))),
  );
  const ended = errorBox();
  const endAll = h("div", { class: "staff-sessions" }, ended, button(t("sessions.endAll"), { class: "button secondary", onclick: () => endMySessions(ended, (why) => {
    state.me = null;
    loginForm(why);
  }) }), h("p", { class: "hint" }, t("sessions.endAllHint")));
  const heading = [t("console.title"), h("p", { class: "muted staff-who" }, t("console.signedInAs", { name: me.full_name, role, office: officeCode() || t("console.noOffice") })), h("p", null, t("console.intro"))];
  if (me.office_code) return show(main, heading[0], heading[1], heading[2], items, endAll);
  // A national admin works on one office at a time.
  const box = errorBox();
  show(main, heading[0], heading[1], box, heading[2], items, endAll);
  try {
    const offices = await cached("/api/v1/offices");
    const chooser = field({
      name: "office", label: t("console.officeLabel"), hint: t("console.officeHint"), type: "select", value: officeCode() || "",
      options: [["", "—"], ...offices.map((o) => [o.code, `${o.code} — ${o.name}`])],
      onchange: (e) => { chooseOffice(e.target.value); render(); },
    });
    box.before(chooser);
  } catch (err) {
    fail(box, err);
  }
}

async function guarded(slug) {
  stopTimers();
  const probe = document.getElementById("main") || page("login");
  const me = await whoAmI(probe);
  if (me === undefined) return;
  if (me === null) return loginForm();
  if (me.role === "citizen" || !STAFF.includes(me.role)) return citizenRefused();
  if (slug === null) return homePage();
  const entry = PAGES.find(([s]) => s === slug);
  if (!entry) return notFound();
  const [, label, , view, roles] = entry;
  const main = page(slug);
  if (!roles.includes(me.role)) return show(main, t("denied.title"), notice(t("denied.body"), "warn"));
  if (!officeCode() && !NATIONAL.includes(slug)) return show(main, t(label), notice(t("console.chooseOffice"), "warn"), h("p", null, h("a", { href: "/staff/" }, t("nav.console"))));
  return view(main);
}

function notFound() {
  stopTimers();
  const main = page("none");
  show(main, t("notFound"), h("p", null, t("notFoundBody")), h("p", null, h("a", { href: "/staff/" }, t("nav.console"))));
}

const render = router(
  [
    [/^\/staff$/, () => guarded(null)],
    [/^\/staff\/([a-z-]+)$/, (slug) => guarded(slug)],
  ],
  notFound,
);

render();
