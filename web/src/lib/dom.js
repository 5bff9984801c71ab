// A small DOM builder: pages are built from elements, never from HTML strings, so nothing a person or the
// API sends can become markup (and the CSP needs no inline script or style).
import { t, language, setLanguage } from "./i18n.js";

export function h(tag, attrs, ...children) {
  const el = document.createElementNS(tag === "svg" || attrs?.xmlns ? SVG : HTML, tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (name === "class") el.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    else if (name === "value" && "value" in el) el.value = value;
    else if (name === "xmlns") continue;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function s(tag, attrs, ...children) {
  return h(tag, { ...attrs, xmlns: SVG }, ...children);
}

const HTML = "http://www.w3.org/1999/xhtml";
const SVG = "http://www.w3.org/2000/svg";

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the contents of ``target`` (the app's main region by default). */
export function replace(target, ...children) {
  target.replaceChildren();
  append(target, children);
}

/** The page's frame: skip link, header with the language switch, main region, footer with the warning. */
export function frame({ nav = [], onLanguage, home = "/" } = {}) {
  const main = h("main", { id: "main", tabindex: "-1" });
  const root = document.getElementById("app");
  replace(
    root,
    h("a", { class: "skip", href: "#main" }, t("skip")),
    h(
      "header",
      { class: "top" },
      h("div", { class: "wrap top-row" },
        h("a", { class: "brand", href: home }, h("span", { class: "brand-name" }, t("brand")), h("span", { class: "brand-tag" }, t("brandTag"))),
        h("nav", { "aria-label": t("nav") }, h("ul", { class: "nav" }, nav.map((item) => h("li", null, item)))),
        h("button", {
          type: "button",
          class: "lang",
          lang: language() === "id" ? "en" : "id",
          "aria-label": t("switchToLabel"),
          onclick: () => {
            setLanguage(language() === "id" ? "en" : "id");
            onLanguage?.();
          },
        }, t("switchTo")),
      ),
    ),
    h("div", { class: "wrap" }, main),
    h("footer", { class: "foot" }, h("div", { class: "wrap" }, h("p", { class: "warning" }, t("warning")), h("p", null, h("a", { href: "/check" }, t("checkLink"))), h("p", null, h("a", { href: "/status" }, t("statusLink"))))),
  );
  return main;
}

/** Show a page in ``main``: sets the title and moves focus to its heading, as a screen reader expects. */
export function show(main, title, ...children) {
  const heading = h("h1", { tabindex: "-1" }, title);
  replace(main, heading, ...children);
  document.title = `${title} — ${t("brand")}`;
  heading.focus({ preventScroll: true });
  window.scrollTo(0, 0);
  return heading;
}

let fieldSeq = 0;

/** A labelled input with its hint and a place for its error, linked for screen readers. */
export function field({ name, label, hint, type = "text", value = "", required = true, ...attrs }) {
  const id = `f-${name}-${++fieldSeq}`;
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const input = type === "select"
    ? h("select", { id, name, required, "aria-describedby": [hintId, errorId].filter(Boolean).join(" "), ...attrs },
        (attrs.options || []).map(([v, text]) => h("option", { value: v, selected: v === value }, text)))
    : h("input", { id, name, type, value, required, "aria-describedby": [hintId, errorId].filter(Boolean).join(" "), ...attrs });
  if (type === "select") input.removeAttribute("options");
  return h("div", { class: "field", "data-field": name },
    h("label", { for: id }, label),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    h("p", { class: "field-error", id: errorId, hidden: true }),
    input,
  );
}

/** Errors at the top of the form (linked to each field) and at each field, then focus on the summary. */
export function showErrors(form, messages, fieldErrors = {}) {
  form.querySelectorAll(".field").forEach((f) => {
    f.classList.remove("has-error");
    const p = f.querySelector(".field-error");
    if (p) {
      p.hidden = true;
      p.textContent = "";
    }
    f.querySelector("input,select,textarea")?.removeAttribute("aria-invalid");
  });
  form.querySelector(".error-summary")?.remove();
  const items = [];
  for (const [name, list] of Object.entries(fieldErrors)) {
    const f = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    const text = [].concat(list).join(" ");
    if (f) {
      f.classList.add("has-error");
      const p = f.querySelector(".field-error");
      p.hidden = false;
      p.textContent = text;
      const input = f.querySelector("input,select,textarea");
      input.setAttribute("aria-invalid", "true");
      items.push(h("li", null, h("a", { href: `#${input.id}`, onclick: (e) => { e.preventDefault(); input.focus(); } }, `${f.querySelector("label").textContent}: ${text}`)));
    } else {
      messages = [...messages, text];
    }
  }
  if (!messages.length && !items.length) return;
  const summary = h("div", { class: "error-summary", role: "alert", tabindex: "-1" },
    h("h2", null, t("errorSummary")),
    h("ul", null, messages.map((m) => h("li", null, m)), items),
  );
  form.prepend(summary);
  summary.focus();
}

/** A notice that screen readers announce when it changes. */
export function notice(text, kind = "info") {
  return h("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

export function button(text, attrs = {}) {
  return h("button", { type: "button", class: "button", ...attrs }, text);
}

/** Form values as an object (trimmed strings). */
export function values(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) if (typeof v === "string") out[k] = v.trim();
  return out;
}
