// Register (three short steps and a check of the answers), verify the emailed code, sign in, reset a forgotten
// password, and help.
import { t, has, language, formatDate } from "../lib/i18n.js";
import { h, show, field, showErrors, values, notice } from "../lib/dom.js";
import { api, explain } from "../lib/api.js";
import { go, param } from "../lib/router.js";
import * as session from "../lib/session.js";
import { page } from "./main.js";

const DRAFT = "antre.register";
const LONG_DATE = { day: "numeric", month: "long", year: "numeric" };
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
    for (const name of names) delete serverErrors[name]; // answered again: the API judges it anew
    const problems = checkStep(names, { ...entered, password }, { ...data, ...entered });
    if (Object.keys(problems).length) return showErrors(form, [], problems);
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

/** What the browser can tell before the API does, so nobody walks the steps twice for a typo. */
function checkStep(names, entered, all) {
  const problems = {};
  for (const name of names) {
    const value = entered[name];
    if (!value) problems[name] = [t("reg.missing")];
    else if (name === "nik" && !/^\d{16}$/.test(value)) problems.nik = [t("reg.nik.digits")];
    else if (name === "nik" && all.birth_date && !nikMatchesBirthDate(value, all.birth_date)) problems.nik = [t("reg.nik.invalid")];
    else if (name === "email" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) problems.email = [t("reg.email.invalid")];
    else if (name === "phone" && !/^\+?[\d\s-]{9,20}$/.test(value)) problems.phone = [t("reg.phone.invalid")];
    else if (name === "password" && value.length < 12) problems.password = [t("reg.password.short")];
  }
  return problems;
}

/** Digits 7–12 of a NIK are the birth date as DDMMYY, the day plus 40 for women. */
function nikMatchesBirthDate(nik, birthDate) {
  const [year, month, day] = birthDate.split("-");
  const dd = Number(nik.slice(6, 8));
  return (dd === Number(day) || dd === Number(day) + 40) && nik.slice(8, 10) === month && nik.slice(10, 12) === year.slice(2);
}

function registerCheck(main, data) {
  if (!password) return go("/register?step=3", { replace: true }); // the password is not kept across reloads
  const rows = ["nik", "full_name", "birth_date", "email", "phone"].map((name) => {
    const step = STEPS.findIndex((s) => s.includes(name)) + 1;
    return h("div", null, h("dt", null, t(`reg.${name}`)), h("dd", null, (name === "birth_date" && data[name] ? formatDate(data[name], LONG_DATE) : data[name]) || "—", " ", h("a", { href: `/register?step=${step}`, "aria-label": `${t("change")} ${t(`reg.${name}`)}` }, t("change"))));
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
function inPageLanguage(errors = {}) {
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
      showErrors(form, [explain(err)], inPageLanguage(err.errors));
    }
  });
  const resend = h("button", { type: "button", class: "button secondary", onclick: async () => {
    const value = form.elements.email.value.trim();
    if (!value) return showErrors(form, [], { email: [t("reg.missing")] });
    showErrors(form, []);
    try {
      await api("POST", "/api/v1/auth/otp", { body: { email: value } });
      status.replaceChildren(notice(t("verify.resent"), "ok"));
    } catch (err) {
      // The answer is the same for any email (issue 17); a 429 is a wait, not "too many attempts".
      const text = err.status === 429 ? t("verify.wait", { seconds: err.retryAfter || 60 }) : explain(err);
      status.replaceChildren(notice(text, err.status === 429 ? "warn" : "error"));
    }
  } }, t("verify.resend"));
  show(main, t("verify.title"), h("p", null, t("verify.intro")), form, h("h2", null, t("verify.noCode")), h("p", null, t("verify.noCodeBody")), resend, status);
}

export function loginPage() {
  const next = safeNext(param("next"));
  if (session.signedIn()) return go(next || "/bookings", { replace: true });
  const main = page();
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
      if (me.role !== "citizen") {
        session.clear(); // an officer's account belongs in the console, which keeps its own session
        showErrors(form, [t("login.staff")], {});
        form.querySelector(".error-summary ul").append(h("li", null, h("a", { href: "/staff/" }, t("login.toConsole"))));
        return;
      }
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
    h("p", null, h("a", { href: "/forgot" }, t("login.forgot"))),
  );
}

/** Forgotten password, step 1: the email. The answer is the same whether or not an account has it. */
export function forgotPage() {
  const main = page();
  const form = h("form", { novalidate: true },
    field({ name: "email", label: t("reg.email"), hint: t("forgot.emailHint"), type: "email", value: param("email") || "", autocomplete: "email" }),
    h("button", { class: "button", type: "submit" }, t("forgot.submit")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const email = form.elements.email.value.trim();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return showErrors(form, [], { email: [t("reg.email.invalid")] });
    form.querySelector("button").disabled = true;
    try {
      await api("POST", "/api/v1/auth/password-reset", { body: { email } });
      sessionStorage.setItem("antre.resetEmail", email);
      go("/reset");
    } catch (err) {
      form.querySelector("button").disabled = false;
      const text = err.status === 429 ? t("forgot.wait", { minutes: Math.ceil((err.retryAfter || 60) / 60) }) : explain(err);
      showErrors(form, [text], {});
    }
  });
  show(main, t("forgot.title"), h("p", null, t("forgot.intro")), form, h("p", null, h("a", { href: "/login" }, t("back"))));
}

/** Forgotten password, step 2: the code from the email and the new password; every session ends. */
export function resetPage() {
  const main = page();
  const email = sessionStorage.getItem("antre.resetEmail") || "";
  const form = h("form", { novalidate: true },
    field({ name: "email", label: t("reg.email"), type: "email", value: email, autocomplete: "username" }),
    field({ name: "otp", label: t("reset.code"), hint: t("reset.codeHint"), inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6, pattern: "[0-9]{6}" }),
    field({ name: "new_password", label: t("reset.password"), hint: t("reg.password.hint"), type: "password", autocomplete: "new-password", minlength: 12 }),
    h("button", { class: "button", type: "submit" }, t("reset.submit")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { email: form.elements.email.value.trim(), otp: form.elements.otp.value.trim(), new_password: form.elements.new_password.value };
    const problems = {};
    if (!body.email) problems.email = [t("reg.missing")];
    if (!/^\d{6}$/.test(body.otp)) problems.otp = [t("reset.codeDigits")];
    if (body.new_password.length < 12) problems.new_password = [t("reg.password.short")];
    if (Object.keys(problems).length) return showErrors(form, [], problems);
    form.querySelector("button").disabled = true;
    try {
      await api("POST", "/api/v1/auth/password-reset/confirm", { body });
      sessionStorage.removeItem("antre.resetEmail");
      session.clear();
      sessionStorage.setItem("antre.loginNotice", t("reset.done"));
      go(`/login?email=${encodeURIComponent(body.email)}`);
    } catch (err) {
      form.querySelector("button").disabled = false;
      const fields = err.code === "VALIDATION_ERROR" ? { new_password: [t("reg.password.invalid")] } : {};
      showErrors(form, [explain(err)], fields);
      if (["OTP_EXPIRED", "OTP_USED", "OTP_ATTEMPTS_EXCEEDED"].includes(err.code)) {
        form.querySelector(".error-summary ul")?.append(h("li", null, h("a", { href: `/forgot?email=${encodeURIComponent(body.email)}` }, t("reset.again"))));
      }
    }
  });
  show(main, t("reset.title"), h("p", null, t("reset.intro")), form);
}

/** Only an address of this app: a link someone else made must not send the person elsewhere after login. */
function safeNext(next) {
  if (!next) return null;
  try {
    const url = new URL(next, location.origin);
    return url.origin === location.origin && CITIZEN.test(url.pathname) ? url.pathname + url.search : null;
  } catch (e) {
    return null;
  }
}

const CITIZEN = /^\/(book|bookings|help|messages|check|family)(\/|$)/;

export function helpPage() {
  const main = page();
  show(main, t("help.title"),
    h("h2", null, t("help.nikTitle")), h("p", null, t("help.nik")),
    h("h2", null, t("help.docsTitle")), h("p", null, t("help.docs")),
    h("h2", null, t("help.freeTitle")), h("p", null, t("help.free")),
  );
}
