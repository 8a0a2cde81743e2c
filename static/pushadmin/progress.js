// Sending progress page: ask before irreversible buttons, and show progress in the tab title.
// The page works without this file: buttons post plain forms, the bars are server-rendered.
(() => {
  // Settling copies "style" back with setAttribute, which the page's CSP (style-src 'self')
  // blocks; nothing on this page uses inline styles, so settle the other attributes only.
  const settleWithoutStyle = () => {
    if (window.htmx) {
      window.htmx.config.attributesToSettle = window.htmx.config.attributesToSettle.filter((name) => name !== "style");
    }
  };
  document.addEventListener("DOMContentLoaded", settleWithoutStyle);

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  const baseTitle = document.title;
  const showInTitle = () => {
    const live = document.getElementById("live");
    if (live) {
      document.title = `${live.dataset.donePercent}% · ${live.dataset.status} · ${baseTitle}`;
    }
  };
  document.addEventListener("htmx:afterSettle", showInTitle);
  document.addEventListener("DOMContentLoaded", showInTitle);
})();
