// The fee (PNBP) of a booking of a service paid before the visit: what to pay, by when, the billing code to
// copy into a bank app, how to pay, and the receipt once paid. The booking's `payment` says it all; the
// button asks the API again (the bank's confirmation arrives by itself, usually within seconds).
import { t, formatDateTime } from "../lib/i18n.js";
import { h, notice, button } from "../lib/dom.js";

export function rupiah(amount) {
  return `Rp${Number(amount).toLocaleString("id-ID")}`;
}

/** Digits in groups of five for reading ("81234 56789 01234"); the copied text has no spaces. */
function grouped(code) {
  return code.replace(/(\d{5})(?=\d)/g, "$1 ");
}

function copyButton(code) {
  const said = h("span", { class: "muted", "aria-live": "polite" });
  const copy = button(t("pay.copy"), { class: "button secondary" });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(code);
      said.textContent = t("pay.copied");
    } catch (e) {
      said.textContent = t("pay.copyManually");
    }
  });
  return [copy, " ", said];
}

/** The panel for a booking awaiting payment; ``onCheck`` reloads the booking. */
export function awaitingPanel(booking, office, onCheck) {
  const p = booking.payment;
  const again = button(t("pay.check"), { class: "button secondary" });
  again.addEventListener("click", onCheck);
  return h("section", { class: "panel", "aria-labelledby": "pay-title" },
    h("h2", { id: "pay-title" }, t("pay.title")),
    h("p", null, t("pay.intro")),
    h("dl", { class: "summary-list" },
      h("div", null, h("dt", null, t("pay.amount")), h("dd", null, h("strong", null, rupiah(p.amount)))),
      h("div", null, h("dt", null, t("pay.deadline")), h("dd", null, h("strong", null, formatDateTime(p.expires_at, office.timezone)))),
    ),
    h("p", null, t("pay.code")),
    h("span", { class: "code billing-code", "aria-hidden": "true" }, grouped(p.billing_code)),
    h("span", { class: "visually-hidden" }, p.billing_code.split("").join(" ")),
    h("p", null, copyButton(p.billing_code)),
    h("h3", null, t("pay.howTitle")),
    h("ol", null, ["pay.how1", "pay.how2", "pay.how3"].map((k) => h("li", null, t(k)))),
    notice(t("pay.expireRule"), "warn"),
    h("p", null, again),
  );
}

/** A line of the booking's summary once paid: the receipt. */
export function receiptItem(booking) {
  const p = booking.payment;
  if (!p || !p.receipt_number) return null;
  return h("div", null, h("dt", null, t("pay.receipt")), h("dd", null, `${p.receipt_number} (${rupiah(p.amount)}, ${t("pay.paid")})`));
}

export function expiredNotice(booking) {
  return booking.status === "expired" ? notice(t("pay.expired"), "error") : null;
}
