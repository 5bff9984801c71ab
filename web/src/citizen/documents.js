// The documents of a booking's checklist: upload each from the camera or the phone's files, see its review
// and what to fix.
import { t } from "../lib/i18n.js";
import { h, show, notice } from "../lib/dom.js";
import { api, explain } from "../lib/api.js";
import * as session from "../lib/session.js";
import { page, needLogin, retryButton } from "./main.js";
import { documentName } from "./data.js";

const ACCEPT = "application/pdf,image/jpeg,image/png";
const TAG = { missing: "", uploaded: "wait", approved: "ok", rejected: "bad" };

const MAX_BYTES = 5 * 1024 * 1024; // the gateway's cap (DOCUMENTS_MAX_BYTES): said before a slow upload
let justUploaded = null;

export async function documentsPage(rawCode) {
  if (!session.signedIn()) return needLogin();
  const code = rawCode.toUpperCase();
  const main = page();
  let data;
  try {
    data = await api("GET", `/api/v1/bookings/${code}/documents`, { auth: true });
  } catch (err) {
    if (err.code === "SESSION_EXPIRED") return needLogin(t("err.session"));
    return show(main, t("docs.title"), notice(explain(err), "error"), retryButton());
  }
  const uploaded = justUploaded;
  justUploaded = null;
  show(main, t("docs.title"),
    uploaded ? notice(t("docs.uploaded.ok", { name: uploaded }), "ok") : null,
    h("p", null, t("docs.intro", { code })),
    data.complete ? notice(t("docs.complete"), "ok") : null,
    h("ul", { class: "cards" }, data.checklist.map((entry) => h("li", { class: "card" }, docEntry(code, entry)))),
    h("p", null, h("a", { href: `/bookings/${code}` }, t("back"))),
  );
}

function docEntry(code, entry) {
  const id = `file-${entry.type}`;
  const status = h("div", { "aria-live": "polite" });
  const input = h("input", { id, name: "file", type: "file", accept: ACCEPT, "aria-describedby": `${id}-hint` });
  const form = h("form", { novalidate: true, class: "field" },
    h("label", { for: id }, entry.status === "missing" ? t("docs.choose") : t("docs.replace")),
    h("p", { class: "hint", id: `${id}-hint` }, t("docs.hint")),
    input,
    h("button", { type: "submit", class: "button" }, t("docs.upload")),
    status,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const file = input.files[0];
    if (!file) return status.replaceChildren(notice(t("docs.pick"), "error"));
    if (file.type && !ACCEPT.split(",").includes(file.type)) return status.replaceChildren(notice(t("docs.wrongType"), "error"));
    if (file.size > MAX_BYTES) {
      return status.replaceChildren(notice(t("docs.tooLarge", { size: (file.size / 1024 / 1024).toFixed(1) }), "error"));
    }
    const body = new FormData();
    body.append("doc_type", entry.type);
    body.append("file", file);
    form.querySelector("button").disabled = true;
    status.replaceChildren(notice(t("docs.uploading")));
    try {
      await api("POST", `/api/v1/bookings/${code}/documents`, { auth: true, form: body });
      justUploaded = documentName(entry);
      documentsPage(code);
    } catch (err) {
      form.querySelector("button").disabled = false;
      if (err.code === "SESSION_EXPIRED") return needLogin(t("err.session"));
      status.replaceChildren(notice(explain(err), "error"));
    }
  });
  return [
    h("h2", null, documentName(entry)),
    h("p", null, h("span", { class: `tag ${TAG[entry.status] || ""}` }, t(`docs.${entry.status}`)), " ", h("span", { class: "muted" }, entry.required ? t("required") : t("optional"))),
    entry.status === "rejected" ? notice(t("docs.rejected.fix", { reason: (entry.reason || "—").replace(/[.\s]+$/, "") }), "error") : null,
    entry.status === "approved" ? null : form,
  ];
}
