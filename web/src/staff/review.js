// Document review for one booking: its checklist, each uploaded file opened with the officer's token (an
// image shown in the page, a PDF in a new tab), and a decision with a reason the applicant will read.
import { t, formatDate } from "../lib/i18n.js";
import { h, show, field, button, replace, showErrors, notice } from "../lib/dom.js";
import { api } from "../lib/api.js";
import { fail, errorBox, okNotice, officeCode } from "./common.js";

const enc = encodeURIComponent;
let seq = 0;
const urls = [];

export function documentsPage(main) {
  urls.splice(0).forEach((u) => URL.revokeObjectURL(u));
  const box = errorBox();
  const result = h("div", { class: "staff-result" });
  const form = h("form", { novalidate: true },
    field({ name: "code", label: t("docs.code"), hint: t("docs.codeHint"), autocomplete: "off", autocapitalize: "characters", spellcheck: "false" }),
    h("button", { class: "button", type: "submit" }, t("docs.find")),
  );
  const code = () => form.elements.code.value.replace(/\s+/g, "").toUpperCase();
  async function load(flash) {
    box.hidden = true;
    try {
      const answer = await api("GET", `/api/v1/bookings/${enc(code())}/documents`, { auth: true });
      replace(result,
        h("h2", { tabindex: "-1" }, t("docs.checklist", { code: code() })),
        flash ? okNotice(flash) : null,
        notice(answer.complete ? t("docs.complete") : t("docs.incomplete"), answer.complete ? "ok" : "warn"),
        h("ul", { class: "cards staff-docs" }, answer.checklist.map((item) => h("li", { class: "card" }, docItem(item, load)))),
      );
      result.querySelector("h2").focus();
    } catch (err) {
      replace(result);
      fail(box, err);
    }
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!code()) return showErrors(form, [], { code: [t("login.missing")] });
    showErrors(form, []);
    load();
  });
  // Documents of coming visits waiting for review, oldest upload first: one press opens that booking.
  const waiting = h("div", { class: "staff-waiting" });
  show(main, t("docs.title"), waiting, form, box, result);
  api("GET", `/api/v1/offices/${enc(officeCode())}/documents?status=uploaded`, { auth: true }).then((docs) => {
    replace(waiting, h("h2", null, t("docs.waitingTitle")), docs.length
      ? h("ul", { class: "staff-waiting-list" }, docs.map((d) => h("li", null,
          button(t("docs.waitingItem", { name: d.name, code: d.reservation_code, date: formatDate(d.visit_date) }), {
            class: "link",
            onclick: () => { form.elements.code.value = d.reservation_code; load(); },
          }))))
      : h("p", { class: "muted" }, t("docs.waitingNone")));
  }).catch((err) => fail(box, err));
}

function docItem(item, reload) {
  const status = item.document_id && item.status !== "missing" ? item.status || "uploaded" : null;
  const tag = status
    ? h("span", { class: `tag ${status === "approved" ? "ok" : status === "rejected" ? "bad" : "wait"}` }, t(`docstatus.${status}`))
    : h("span", { class: "tag" }, t("docs.notUploaded"));
  const head = [h("h3", null, item.name), h("p", null, item.required ? t("required") : t("optional"), " · ", tag)];
  if (!status) return head;
  const box = errorBox();
  const preview = h("div", { class: "doc-preview" });
  const open = button(t("docs.open"), {
    class: "button secondary",
    onclick: async () => {
      box.hidden = true;
      try {
        const response = await api("GET", `/api/v1/documents/${enc(item.document_id)}/content`, { auth: true, raw: true, accept: "*/*" });
        const blob = await response.blob();
        const url = URL.createObjectURL(blob);
        urls.push(url);
        replace(preview, blob.type.startsWith("image/")
          ? h("img", { src: url, alt: t("docs.preview", { name: item.name }), class: "doc-image" })
          : h("p", null, h("a", { href: url, target: "_blank", rel: "noopener" }, t("docs.openPdf"))));
      } catch (err) {
        fail(box, err);
      }
    },
  });
  const id = ++seq;
  const radios = h("fieldset", { class: "field staff-decision", "data-field": "decision" },
    h("legend", null, t("docs.decision")),
    h("p", { class: "field-error", hidden: true }),
    ["approved", "rejected"].map((d) => h("div", { class: "radio" },
      h("input", { type: "radio", name: "decision", value: d, id: `d-${id}-${d}` }),
      h("label", { for: `d-${id}-${d}` }, t(d === "approved" ? "docs.approve" : "docs.reject")))),
  );
  const reasonId = `r-${id}`;
  const reason = h("div", { class: "field", "data-field": "reason" },
    h("label", { for: reasonId }, t("docs.reason")),
    h("p", { class: "hint", id: `${reasonId}-hint` }, t("docs.reasonHint")),
    h("p", { class: "field-error", id: `${reasonId}-error`, hidden: true }),
    h("textarea", { id: reasonId, name: "reason", rows: 3, maxlength: 500, "aria-describedby": `${reasonId}-hint ${reasonId}-error` }),
  );
  const form = h("form", { novalidate: true, class: "staff-review" }, radios, reason, h("button", { class: "button", type: "submit" }, t("docs.submit")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const decision = form.querySelector("input[name=decision]:checked")?.value;
    const text = form.elements.reason.value.trim();
    if (!decision) return showErrors(form, [t("docs.decisionMissing")]);
    if (decision === "rejected" && !text) return showErrors(form, [], { reason: [t("docs.reasonMissing")] });
    try {
      await api("POST", `/api/v1/documents/${enc(item.document_id)}/review`, { auth: true, body: text ? { decision, reason: text } : { decision } });
      reload(t("docs.saved", { name: item.name }));
    } catch (err) {
      showErrors(form, [], {});
      fail(box, err);
    }
  });
  return [...head, open, preview, box, form];
}
