// Injected by `foldpress serve` into HTML responses only; never part of the built site.
(() => {
  const events = new EventSource("/__foldpress__/events");
  let overlay = null;
  events.addEventListener("reload", () => location.reload());
  events.addEventListener("build-error", (event) => {
    if (!overlay) {
      overlay = document.createElement("pre");
      overlay.id = "foldpress-error";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText = "position:fixed;inset:auto 1rem 1rem 1rem;max-height:50vh;" +
        "overflow:auto;margin:0;padding:1rem;z-index:2147483647;white-space:pre-wrap;" +
        "background:#2b0b0b;color:#ffd7d7;border:2px solid #e5484d;border-radius:6px;" +
        "font:14px/1.4 ui-monospace,monospace";
      document.body.append(overlay);
    }
    overlay.textContent = "foldpress: the build failed\n\n" + JSON.parse(event.data).join("\n");
  });
})();
