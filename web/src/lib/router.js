// History routing: every page has its own address (shareable, back button works, deep links load the app).
export function router(routes, notFound) {
  async function render() {
    const path = location.pathname.replace(/\/+$/, "") || "/";
    for (const [pattern, view] of routes) {
      const match = path.match(pattern);
      if (match) return view(...match.slice(1).map(decodeURIComponent));
    }
    return notFound();
  }
  document.addEventListener("click", (e) => {
    const a = e.target.closest?.("a[href]");
    if (!a || a.target || a.hasAttribute("download") || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.hash && url.pathname === location.pathname) return;
    if (!routes.some(([pattern]) => pattern.test(url.pathname.replace(/\/+$/, "") || "/"))) return;
    e.preventDefault();
    go(url.pathname + url.search);
  });
  addEventListener("popstate", render);
  window.__render = render;
  return render;
}

export function go(path, { replace = false } = {}) {
  history[replace ? "replaceState" : "pushState"](null, "", path);
  return window.__render();
}

export function param(name) {
  return new URLSearchParams(location.search).get(name);
}
