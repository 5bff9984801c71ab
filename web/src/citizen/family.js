// Family members: the signed-in citizen's family card (KK) as the population registry knows it, and adding
// a member without an account of their own as a dependent to book for (spec: "Population registry and family
// members"). One decision per page: the list, then one person's NIK.
import { t, formatDate } from "../lib/i18n.js";
import { h, show, field, showErrors, notice } from "../lib/dom.js";
import { api, explain } from "../lib/api.js";
import { go, param } from "../lib/router.js";
import * as session from "../lib/session.js";
import { page, needLogin, retryButton } from "./main.js";

const LONG_DATE = { day: "numeric", month: "long", year: "numeric" };
const ADDED = "antre.familyNotice";

function status(member) {
  if (member.is_dependent) return h("p", { class: "tag ok" }, t("family.isDependent"));
  if (member.has_account) return h("p", { class: "tag" }, t("family.hasAccount"));
  if (member.dependent_of_other) return h("p", { class: "tag" }, t("family.otherHolder"));
  return h("a", { class: "button secondary", href: `/family/add?n=${encodeURIComponent(member.nik_masked)}` }, t("family.add"));
}

export async function familyPage() {
  if (!session.signedIn()) return needLogin(t("family.loginFirst"));
  const main = page();
  show(main, t("family.title"), h("p", { class: "muted" }, t("loading")));
  let members;
  try {
    members = await api("GET", "/api/v1/me/family", { auth: true });
  } catch (err) {
    if (err.code === "SESSION_EXPIRED") return needLogin(t("err.session"));
    return show(main, t("family.title"), notice(explain(err), "error"), retryButton());
  }
  const done = sessionStorage.getItem(ADDED);
  sessionStorage.removeItem(ADDED);
  show(main, t("family.title"),
    done ? notice(done, "ok") : null,
    h("p", null, t("family.intro")),
    members.length
      ? h("ul", { class: "cards family" }, members.map((m) => h("li", { class: "card" },
          h("h2", null, m.full_name),
          h("p", { class: "muted" }, `${t(`relationship.${m.relationship}`)} · ${formatDate(m.birth_date, LONG_DATE)} · NIK ${m.nik_masked}`),
          status(m),
        )))
      : h("p", null, t("family.none")),
    h("p", null, t("family.note")),
    h("p", null, h("a", { href: "/" }, t("family.toBook"))),
  );
}

export function addDependentPage() {
  if (!session.signedIn()) return needLogin(t("family.loginFirst"));
  const main = page();
  const masked = param("n") || "";
  const form = h("form", { novalidate: true },
    field({ name: "nik", label: t("family.nik"), hint: t("family.nikHint", { masked }), inputmode: "numeric",
      autocomplete: "off", maxlength: 16, pattern: "[0-9]{16}", spellcheck: "false" }),
    h("button", { class: "button", type: "submit" }, t("family.addSubmit")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const nik = form.elements.nik.value.replace(/\s/g, "");
    if (!/^\d{16}$/.test(nik)) return showErrors(form, [], { nik: [t("reg.nik.digits")] });
    form.querySelector("button").disabled = true;
    try {
      const added = await api("POST", "/api/v1/me/dependents", { auth: true, body: { nik } });
      sessionStorage.setItem(ADDED, t("family.added", { name: added.full_name }));
      go("/family");
    } catch (err) {
      form.querySelector("button").disabled = false;
      if (err.code === "SESSION_EXPIRED") return needLogin(t("err.session"));
      showErrors(form, [explain(err)], err.code === "NOT_ON_FAMILY_CARD" ? { nik: [t("family.notOnCard")] } : {});
    }
  });
  show(main, t("family.addTitle"), h("p", null, t("family.addIntro")), form,
    h("p", null, h("a", { href: "/family" }, t("back"))));
}

/** The people a holder books for: themselves and their dependents (``[]`` when they have none). */
export async function dependents() {
  try {
    return await api("GET", "/api/v1/me/dependents", { auth: true });
  } catch (err) {
    return [];
  }
}
