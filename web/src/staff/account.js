// Staff accounts in the console: the second sign-in step (the authenticator's code, with enrolment first for
// someone who has none), ending one's own sessions, and the admin's page of staff accounts (disable, enable,
// end sessions, reset a lost authenticator).
import { t } from "../lib/i18n.js";
import { h, show, field, showErrors, notice, button, replace } from "../lib/dom.js";
import { api, explain } from "../lib/api.js";
import * as session from "../lib/session.js";
import { fail, errorBox, okNotice } from "./common.js";

const enc = encodeURIComponent;

/** After a right password: enrol (when ``answer.second_factor`` says so), then the code; ``done(tokens)``. */
export async function codeStep(main, answer, done, restart) {
  const challenge = answer.challenge_token;
  let enrolment = null;
  if (answer.second_factor === "totp_enrolment") {
    try {
      enrolment = await api("POST", "/api/v1/auth/totp/enrolment", { body: { challenge_token: challenge } });
    } catch (err) {
      return show(main, t("totp.enrolTitle"), notice(explain(err), "warn"), button(t("totp.again"), { class: "button", onclick: restart }));
    }
  }
  const form = h("form", { novalidate: true },
    field({ name: "code", label: t("totp.code"), hint: t("totp.codeHint"), inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6, pattern: "[0-9]{6}" }),
    h("button", { class: "button", type: "submit" }, enrolment ? t("totp.confirm") : t("login")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const code = form.elements.code.value.replace(/\s+/g, "");
    if (!/^[0-9]{6}$/.test(code)) return showErrors(form, [], { code: [t("totp.sixDigits")] });
    try {
      done(await api("POST", "/api/v1/auth/login/code", { body: { challenge_token: challenge, code } }));
    } catch (err) {
      if (err.code === "CHALLENGE_INVALID") return restart(explain(err));
      showErrors(form, [explain(err)], err.status === 400 ? err.errors : {});
    }
  });
  if (!enrolment) return show(main, t("totp.title"), h("p", null, t("totp.intro")), form);
  const qr = h("img", { class: "totp-qr", src: `data:image/svg+xml;base64,${btoa(enrolment.qr_svg)}`, alt: t("totp.qrAlt"), width: 220, height: 220 });
  return show(main, t("totp.enrolTitle"),
    h("ol", { class: "steps" },
      h("li", null, t("totp.step1")),
      h("li", null, t("totp.step2"), h("div", null, qr), h("p", { class: "hint" }, t("totp.secretLabel"), " ", h("code", { class: "totp-secret" }, enrolment.secret))),
      h("li", null, t("totp.step3")),
    ),
    form,
  );
}

/** Every session of the signed-in person ends (this one too): for a lost phone or a shared PC. */
export async function endMySessions(box, after) {
  try {
    await api("POST", "/api/v1/me/sessions/end", { auth: true });
    session.clear();
    after(t("sessions.ended"));
  } catch (err) {
    fail(box, err, { focus: true });
  }
}

/** Admins: every staff account with what can be done to it. */
export async function accountsPage(main, me) {
  const box = errorBox();
  const list = h("div", { class: "staff-result" });
  show(main, t("accounts.title"), h("p", null, t("accounts.intro")), box, list);
  async function load(flash) {
    try {
      const staff = await api("GET", "/api/v1/admin/staff", { auth: true });
      replace(list,
        flash ? okNotice(flash) : null,
        h("ul", { class: "cards staff-accounts" }, staff.map((s) => h("li", { class: "card", "data-user": s.user_id }, account(s)))),
      );
    } catch (err) {
      fail(box, err);
    }
  }
  function account(s) {
    const act = (path, message) => async () => {
      try {
        await api("POST", `/api/v1/admin/staff/${enc(s.user_id)}/${path}`, { auth: true });
        await load(t(message, { name: s.full_name }));
      } catch (err) {
        fail(box, err, { focus: true });
      }
    };
    const self = s.user_id === me.user_id;
    return [
      h("h2", null, s.full_name),
      h("p", null, s.email),
      h("p", { class: "muted" }, [t(`role.${s.role}`), s.office_code || t("console.noOffice"),
        t(s.status === "disabled" ? "accounts.disabled" : "accounts.active"),
        t(s.totp_enrolled ? "accounts.totpOn" : "accounts.totpOff")].join(" · ")),
      self ? null : h("div", { class: "actions" },
        s.status === "disabled"
          ? button(t("accounts.enable"), { class: "button secondary", onclick: act("enable", "accounts.enabled") })
          : button(t("accounts.disable"), { class: "button secondary", onclick: act("disable", "accounts.disabledDone") }),
        button(t("accounts.endSessions"), { class: "button secondary", onclick: act("sessions/end", "accounts.sessionsEnded") }),
        s.totp_enrolled ? button(t("accounts.resetTotp"), { class: "button secondary", onclick: act("second-factor/reset", "accounts.totpReset") }) : null,
      ),
    ];
  }
  await load();
}
