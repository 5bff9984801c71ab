// Messages a citizen can verify: "Cek pesan" (public: is this message really from Antre? and what Antre
// never asks for) and "Pesan saya" (signed in: every message Antre sent me, with its check code).
import { t, language } from "../lib/i18n.js";
import { h, show, notice, field, showErrors, values } from "../lib/dom.js";
import { api, explain } from "../lib/api.js";
import * as session from "../lib/session.js";
import { page, needLogin, retryButton } from "./main.js";

// A code travels from the inbox to this page inside the app only: an address cannot carry one, so a link in
// a forged message cannot open this official page already showing "genuine" for a code the forger copied.
const FROM_INBOX = "antre.citizen.checkCode";

const NEVER = ["msgcheck.never1", "msgcheck.never2", "msgcheck.never3", "msgcheck.never4", "msgcheck.never5"];
const LOCALES = { id: "id-ID", en: "en-GB" };

/** A moment (UTC with offset) in the reader's own clock: "1 Desember 2026, 09.30". */
function sentAt(iso) {
  return new Intl.DateTimeFormat(LOCALES[language()], { dateStyle: "long", timeStyle: "short" }).format(new Date(iso));
}

function typeName(type) {
  return t(`msgType.${type}`);
}

function answerFor(result) {
  return [
    notice(t("msgcheck.genuine"), "ok"),
    h("dl", { class: "summary-list" },
      h("div", null, h("dt", null, t("msgcheck.type")), h("dd", null, typeName(result.type))),
      h("div", null, h("dt", null, t("msgcheck.channel")), h("dd", null, t(`channel.${result.channel}`))),
      h("div", null, h("dt", null, t("msgcheck.sentAt")), h("dd", null, sentAt(result.sent_at))),
    ),
    h("p", null, t("msgcheck.genuineStill")),
  ];
}

function notFound() {
  return [
    h("div", { class: "notice notice-error", role: "alert" },
      h("p", null, h("strong", null, t("msgcheck.notGenuine"))),
      h("p", null, t("msgcheck.notGenuineDo")),
    ),
  ];
}

export async function checkMessagePage() {
  const fromInbox = sessionStorage.getItem(FROM_INBOX);
  sessionStorage.removeItem(FROM_INBOX);
  const main = page();
  const result = h("div", { "aria-live": "polite" });
  const form = h("form", { novalidate: true, onsubmit: (e) => { e.preventDefault(); check(); } },
    field({ name: "code", label: t("msgcheck.code"), hint: t("msgcheck.codeHint"), value: fromInbox || "",
            autocomplete: "off", autocapitalize: "characters", spellcheck: "false", maxlength: 40 }),
    h("button", { type: "submit", class: "button" }, t("msgcheck.submit")),
  );
  show(main, t("msgcheck.title"),
    h("p", null, t("msgcheck.intro")),
    form,
    result,
    h("h2", null, t("msgcheck.neverTitle")),
    h("ul", null, NEVER.map((k) => h("li", null, t(k)))),
    h("p", null, t("msgcheck.whatToDo")),
    session.signedIn() ? h("p", null, h("a", { href: "/messages" }, t("inbox.link"))) : null,
  );

  async function check() {
    const code = values(form).code || "";
    result.replaceChildren();
    if (!code) return showErrors(form, [], { code: t("msgcheck.codeMissing") });
    if (code.length > 40) return showErrors(form, [], { code: t("msgcheck.codeTooLong") });
    showErrors(form, []);
    try {
      const answer = await api("GET", `/api/v1/messages/verify?code=${encodeURIComponent(code)}`);
      result.replaceChildren(...answerFor(answer));
    } catch (err) {
      if (err.status === 404) result.replaceChildren(...notFound());
      else if (err.status === 429) {
        const minutes = Math.max(1, Math.ceil((err.retryAfter || 60) / 60));
        result.replaceChildren(notice(t("msgcheck.tooMany", { minutes }), "warn"));
      } else if (err.status === 400) showErrors(form, [], { code: t("msgcheck.codeMissing") });
      else result.replaceChildren(notice(explain(err), "error"));
    }
  }
  if (fromInbox) check();
}


export async function inboxPage() {
  if (!session.signedIn()) return needLogin();
  const main = page();
  show(main, t("inbox.title"), h("p", { class: "muted" }, t("loading")));
  let messages;
  try {
    messages = await api("GET", "/api/v1/me/messages", { auth: true });
  } catch (err) {
    if (err.code === "SESSION_EXPIRED") return needLogin(t("err.session"));
    return show(main, t("inbox.title"), notice(explain(err), "error"), retryButton());
  }
  show(main, t("inbox.title"),
    h("p", null, t("inbox.intro")),
    messages.length === 0 ? h("p", null, t("inbox.none")) : null,
    h("ul", { class: "cards" }, messages.map((m) => h("li", { class: "card message" },
      h("h2", null, m.subject || typeName(m.type)),
      h("p", { class: "muted" }, `${t(`channel.${m.channel}`)} · ${sentAt(m.sent_at)}`),
      m.summary ? h("p", null, m.summary) : null,
      m.check_code ? h("p", null, t("inbox.code"), " ", h("span", { class: "check-code", "data-check-code": m.check_code }, m.check_code)) : null,
      m.check_code ? h("p", null, h("a", { href: "/check", onclick: () => sessionStorage.setItem(FROM_INBOX, m.check_code) }, t("inbox.verify"))) : null,
    ))),
    h("p", null, h("a", { href: "/check" }, t("msgcheck.title"))),
  );
}
