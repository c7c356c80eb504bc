// Added by `foldpress serve` to HTML responses only; never part of the built site.
// The server gives the events URL, naming the build this page shows, so a page that
// missed a rebuild while it loaded catches up at once.
(() => {
  const events = new EventSource(document.currentScript.dataset.events);
  let overlay = null;

  events.addEventListener("reload", () => location.reload());
  events.addEventListener("build-error", (event) => {
    overlay ??= createOverlay();
    overlay.shadowRoot.querySelector("pre").textContent = JSON.parse(event.data).join("\n");
    overlay.hidden = false;
  });

  // A shadow root keeps the site's styles off the overlay and the overlay's off the site.
  function createOverlay() {
    const host = document.createElement("foldpress-error");
    host.setAttribute("role", "alert");
    const shadow = host.attachShadow({ mode: "open" });
    shadow.innerHTML = `<style>
      :host { position: fixed; inset: auto 1rem 1rem 1rem; z-index: 2147483647; }
      :host([hidden]) { display: none; }
      section { max-height: 60vh; overflow: auto; padding: 1rem; border-radius: 6px;
        background: #2b0b0b; color: #ffd7d7; border: 2px solid #e5484d;
        font: 14px/1.45 ui-monospace, Menlo, Consolas, monospace; }
      h2 { margin: 0 0 0.75rem; font-size: 15px; color: #fff; }
      pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; font: inherit; }
      button { float: right; font: inherit; color: inherit; background: none;
        border: 1px solid currentColor; border-radius: 4px; cursor: pointer; }
    </style>
    <section>
      <button type="button">Dismiss</button>
      <h2>foldpress: the build failed; this is the last good version of the page</h2>
      <pre></pre>
    </section>`;
    shadow.querySelector("button").addEventListener("click", () => { host.hidden = true; });
    document.body.append(host);
    return host;
  }
})();
