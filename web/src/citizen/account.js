// Register (three short steps and a check of the answers), verify the emailed code, sign in, and help.
import { t, has, language } from "../lib/i18n.js";
import { h, show, field, showErrors, values, notice } from "../lib/dom.js";
import { api, explain } from "../lib/api.js";
import { go, param } from "../lib/router.js";
import * as session from "../lib/session.js";
import { page } from "./main.js";

const DRAFT = "antre.register";
const STEPS = [
  ["nik", "full_name", "birth_date"],
  ["email", "phone"],
  ["password"],
];
let password = ""; // kept in memory only, never on the device
let serverErrors = {};

function draft() {
  try {
    return JSON.parse(sessionStorage.getItem(DRAFT) || "{}");
  } catch (e) {
    return {};
  }
}

function saveDraft(data) {
  const { password: _, ...kept } = { ...draft(), ...data };
  sessionStorage.setItem(DRAFT, JSON.stringify(kept));
}

function fieldFor(name, value) {
  const common = { name, value, label: t(`reg.${name}`), hint: t(`reg.${name}.hint`) };
  switch (name) {
    case "nik":
      return field({ ...common, inputmode: "numeric", autocomplete: "off", maxlength: 16, pattern: "[0-9]{16}", spellcheck: "false" });
    case "full_name":
      return field({ ...common, autocomplete: "name", maxlength: 120 });
    case "birth_date":
      return field({ ...common, type: "date", autocomplete: "bday" });
    case "email":
      return field({ ...common, type: "email", autocomplete: "email", spellcheck: "false" });
    case "phone":
      return field({ ...common, type: "tel", autocomplete: "tel", inputmode: "tel" });
    case "password":
      return field({ ...common, type: "password", autocomplete: "new-password", minlength: 12, value: password });
    default:
      throw new Error(name);
  }
}

export function registerPage() {
  if (session.signedIn()) return go("/bookings", { replace: true });
  const step = Math.min(Math.max(Number(param("step")) || 1, 1), STEPS.length + 1);
  const main = page();
  const data = draft();
  if (step > STEPS.length) return registerCheck(main, data);
  const names = STEPS[step - 1];
  const form = h("form", { novalidate: true, oninput: () => saveDraft(Object.fromEntries(names.filter((n) => n !== "password").map((n) => [n, form.elements[n].value.trim()]))) },
    names.map((name) => fieldFor(name, data[name] || "")),
    h("button", { class: "button", type: "submit" }, t("continue")),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const entered = values(form);
    if (names.includes("password")) password = form.elements.password.value;
    saveDraft(entered);
    const missing = Object.fromEntries(names.filter((n) => !(n === "password" ? password : entered[n])).map((n) => [n, [t("reg.missing")]]));
    if (Object.keys(missing).length) return showErrors(form, [], missing);
    go(`/register?step=${step + 1}`);
  });
  show(main, t("reg.title"),
    h("p", { class: "steps" }, t("reg.step", { step, of: STEPS.length + 1 })),
    h("h2", null, t(`reg.step${step}`)),
    step === 1 ? h("p", null, t("reg.intro")) : null,
    form,
    step > 1 ? h("p", null, h("a", { href: `/register?step=${step - 1}` }, t("back"))) : h("p", null, t("reg.haveAccount"), " ", h("a", { href: "/login" }, t("login"))),
  );
  const mine = Object.fromEntries(Object.entries(serverErrors).filter(([k]) => names.includes(k)));
  if (Object.keys(mine).length) showErrors(form, [], mine);
}

function registerCheck(main, data) {
  if (!password) return go("/register?step=3", { replace: true }); // the password is not kept across reloads
  const rows = ["nik", "full_name", "birth_date", "email", "phone"].map((name) => {
    const step = STEPS.findIndex((s) => s.includes(name)) + 1;
    return h("div", null, h("dt", null, t(`reg.${name}`)), h("dd", null, data[name] || "—", " ", h("a", { href: `/register?step=${step}`, "aria-label": `${t("change")} ${t(`reg.${name}`)}` }, t("change"))));
  });
  const form = h("form", { novalidate: true }, h("button", { class: "button", type: "submit" }, t("reg.submit")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    form.querySelector("button").disabled = true;
    try {
      await api("POST", "/api/v1/auth/register", { body: { ...data, password } });
      sessionStorage.setItem("antre.pendingEmail", data.email);
      sessionStorage.removeItem(DRAFT);
      password = "";
      serverErrors = {};
      go("/verify");
    } catch (err) {
      form.querySelector("button").disabled = false;
      if (err.code === "VALIDATION_ERROR" && Object.keys(err.errors).length) {
        serverErrors = inPageLanguage(err.errors);
        const first = STEPS.findIndex((s) => s.some((n) => n in err.errors)) + 1;
        if (first > 0) return go(`/register?step=${first}`);
      }
      showErrors(form, [explain(err)], {});
      if (err.code === "ALREADY_REGISTERED") form.append(h("p", null, h("a", { href: "/login" }, t("login"))));
    }
  });
  show(main, t("reg.checkTitle"), h("p", { class: "steps" }, t("reg.step", { step: 4, of: 4 })), h("dl", { class: "summary-list" }, rows), h("p", null, t("reg.checkNote")), form);
}

/** The API words its field errors in English; a page in Bahasa Indonesia says what to fix in its own words. */
function inPageLanguage(errors) {
  if (language() === "en") return errors;
  return Object.fromEntries(Object.entries(errors).map(([name, list]) => [name, has(`reg.${name}.invalid`) ? [t(`reg.${name}.invalid`)] : list]));
}

export function verifyPage() {
  const main = page();
  const email = sessionStorage.getItem("antre.pendingEmail") || "";
  const form = h("form", { novalidate: true },
    field({ name: "email", label: t("reg.email"), type: "email", value: email, autocomplete: "email" }),
    field({ name: "otp", label: t("verify.code"), hint: t("verify.code.hint"), inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6, pattern: "[0-9]{6}" }),
    h("button", { class: "button", type: "submit" }, t("verify.submit")),
  );
  const status = h("div", { "aria-live": "polite" });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = values(form);
    try {
      await api("POST", "/api/v1/auth/verify", { body });
      sessionStorage.removeItem("antre.pendingEmail");
      sessionStorage.setItem("antre.loginNotice", t("verify.done"));
      go(`/login?email=${encodeURIComponent(body.email)}`);
    } catch (err) {
      showErrors(form, [explain(err)], err.errors);
    }
  });
  const resend = h("button", { type: "button", class: "button secondary", onclick: async () => {
    const value = form.elements.email.value.trim();
    if (!value) return showErrors(form, [], { email: [t("reg.missing")] });
    try {
      await api("POST", "/api/v1/auth/otp", { body: { email: value } });
      status.replaceChildren(notice(t("verify.resent"), "ok"));
    } catch (err) {
      status.replaceChildren(notice(explain(err), "error"));
    }
  } }, t("verify.resend"));
  show(main, t("verify.title"), h("p", null, t("verify.intro")), form, h("h2", null, t("verify.noCode")), h("p", null, t("verify.noCodeBody")), resend, status);
}

export function loginPage() {
  const main = page();
  const next = safeNext(param("next"));
  const reason = sessionStorage.getItem("antre.loginReason");
  const done = sessionStorage.getItem("antre.loginNotice");
  sessionStorage.removeItem("antre.loginReason");
  sessionStorage.removeItem("antre.loginNotice");
  const form = h("form", { novalidate: true },
    field({ name: "email", label: t("reg.email"), type: "email", value: param("email") || "", autocomplete: "username" }),
    field({ name: "password", label: t("login.password"), type: "password", autocomplete: "current-password" }),
    h("button", { class: "button", type: "submit" }, t("login")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { email: form.elements.email.value.trim(), password: form.elements.password.value };
    const missing = Object.fromEntries(Object.entries(body).filter(([, v]) => !v).map(([k]) => [k, [t("reg.missing")]]));
    if (Object.keys(missing).length) return showErrors(form, [], missing);
    try {
      session.save(await api("POST", "/api/v1/auth/login", { body }));
      const me = await api("GET", "/api/v1/me", { auth: true });
      if (me.role !== "citizen") return (location.href = "/staff/");
      go(next || "/bookings", { replace: true });
    } catch (err) {
      showErrors(form, [explain(err)], err.status === 400 ? err.errors : {});
    }
  });
  show(main, t("login.title"),
    done ? notice(done, "ok") : null,
    reason ? notice(reason, "warn") : null,
    next ? h("p", null, t("login.toContinue")) : null,
    form,
    h("p", null, t("login.noAccount"), " ", h("a", { href: "/register" }, t("nav.register"))),
    h("p", null, t("login.forgot")),
  );
}

/** Only a path of this app: a link someone else made must not send the person elsewhere after login. */
function safeNext(next) {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : null;
}

export function helpPage() {
  const main = page();
  show(main, t("help.title"),
    h("h2", null, t("help.nikTitle")), h("p", null, t("help.nik")),
    h("h2", null, t("help.docsTitle")), h("p", null, t("help.docs")),
    h("h2", null, t("help.freeTitle")), h("p", null, t("help.free")),
  );
}
