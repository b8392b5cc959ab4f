// likewise: small progressive enhancements; every action also works as a plain form.
(function () {
  "use strict";
  const token = () => document.querySelector('meta[name="csrf-token"]').content;

  // Votes without a page reload (the form posts normally when this fails).
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches("form[data-vote]")) return;
    event.preventDefault();
    const id = form.dataset.vote;
    const button = form.querySelector("button");
    const on = button.getAttribute("aria-pressed") === "true";
    const path = "/api/papers/" + id.split("/").map(encodeURIComponent).join("/") + "/vote";
    try {
      const response = await fetch(path, {
        method: on ? "DELETE" : "POST",
        headers: { "X-CSRF-Token": token(), "Accept": "application/json" },
        credentials: "same-origin",
      });
      if (response.status === 401) {
        window.location.href = "/signin?next=" + encodeURIComponent(window.location.pathname + window.location.search);
        return;
      }
      if (!response.ok) throw new Error("vote failed: " + response.status);
      const data = await response.json();
      button.classList.toggle("on", data.voted);
      button.setAttribute("aria-pressed", String(data.voted));
      button.setAttribute("aria-label", "Upvote: " + data.votes + (data.votes === 1 ? " vote" : " votes"));
      button.querySelector(".count").textContent = String(data.votes);
      form.querySelector('input[name="action"]').value = data.voted ? "down" : "up";
    } catch (error) {
      form.submit();
    }
  });

  // Copy buttons (BibTeX).
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.textContent).then(() => { button.textContent = "Copied"; });
    }
  });

  // "/" focuses the search box, as on most sites.
  document.addEventListener("keydown", (event) => {
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
    if (event.key === "/" && !typing && !event.metaKey && !event.ctrlKey) {
      event.preventDefault();
      document.getElementById("top-search").focus();
    }
  });
})();
