// Keyboard shortcuts for reviewers: a = approve (Enter confirms), r = reject, j / n = next in queue.
// The page works without this file: every action is a plain form or link.
(() => {
  const typing = (element) =>
    element instanceof HTMLElement &&
    (element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName));

  const approveButton = () => document.getElementById("approve-button");
  const approveHint = () => document.getElementById("approve-hint");

  const armApproval = () => {
    const button = approveButton();
    if (!button || button.disabled) return;
    button.focus();
    button.classList.add("armed");
    const hint = approveHint();
    if (hint) hint.hidden = false;
  };

  const disarmApproval = () => {
    const button = approveButton();
    if (!button) return;
    button.classList.remove("armed");
    button.blur();
    const hint = approveHint();
    if (hint) hint.hidden = true;
  };

  const goNext = () => {
    const link = document.querySelector("a[data-next-review], a[data-first-in-queue]");
    if (link) window.location.assign(link.href);
  };

  const focusReject = () => {
    const reason = document.querySelector(".reject-form textarea");
    if (reason) {
      reason.focus();
      reason.scrollIntoView({ block: "center" });
    }
  };

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      disarmApproval();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const actions = { a: armApproval, r: focusReject, j: goNext, n: goNext };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });

  document.addEventListener("focusout", (event) => {
    if (event.target === approveButton()) disarmApproval();
  });

  // Marks the page once the shortcuts listen, so a keystroke sent right after loading is not lost.
  document.documentElement.dataset.reviewKeys = "ready";
})();
