// Sending progress page: ask before irreversible buttons, and show progress in the tab title.
// The page works without this file: buttons post plain forms, the bars are server-rendered.
(() => {
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
