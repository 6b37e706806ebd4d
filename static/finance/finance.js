// The tuition ledger's pages: a [data-print] button prints the page (the
// Content-Security-Policy forbids inline handlers).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
