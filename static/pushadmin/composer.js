// Composer pages: small enhancements over pages that work as plain forms.
(function () {
  "use strict";

  // Show only the schedule inputs that apply to the chosen kind of schedule.
  function syncStrategy() {
    const checked = document.querySelector('input[name="s-type"]:checked');
    const kind = checked ? checked.value : "immediate";
    document.querySelectorAll("[data-strategy-part]").forEach((part) => {
      part.hidden = part.getAttribute("data-strategy-part") !== kind;
    });
    const circle = document.querySelector('select[name="s-circle"]');
    const repeat = circle ? circle.value : "daily";
    document.querySelectorAll("[data-loop-part]").forEach((part) => {
      part.hidden = part.getAttribute("data-loop-part") !== repeat;
    });
  }

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target instanceof HTMLElement && (target.matches('input[name="s-type"]') || target.matches('select[name="s-circle"]'))) {
      syncStrategy();
    }
  });
  document.addEventListener("DOMContentLoaded", syncStrategy);

  // "Add row" asks for a blank row numbered after the new rows already on the page.
  document.addEventListener("htmx:configRequest", (event) => {
    const source = event.detail.elt;
    if (source instanceof HTMLElement && source.id === "add-row") {
      event.detail.parameters.n = String(document.querySelectorAll("tr[data-new-row]").length);
    }
  });

  // Keep the keyboard where the marketer is: a new row gets focus on its target input.
  document.addEventListener("htmx:afterSwap", (event) => {
    const source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (source instanceof HTMLElement && source.id === "add-row") {
      const rows = document.querySelectorAll("tr[data-new-row]");
      const last = rows[rows.length - 1];
      const input = last ? last.querySelector('input[type="text"]') : null;
      if (input) input.focus();
    }
  });

  // Rows typed and settings changed but not saved are not lost without a warning: leaving the
  // page asks first. Saving (a submit of that form, plain or through htmx) clears the mark.
  const unsaved = new Set();
  document.addEventListener("input", (event) => {
    const form = event.target instanceof HTMLElement ? event.target.closest("form[data-warn-unsaved]") : null;
    if (form) unsaved.add(form);
  });
  document.addEventListener("submit", (event) => unsaved.delete(event.target), true);
  window.addEventListener("beforeunload", (event) => {
    if ([...unsaved].some((form) => form.isConnected)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
