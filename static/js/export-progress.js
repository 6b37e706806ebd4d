// The background export page: poll its status every 2 s until done or failed.
(function () {
  "use strict";
  var box = document.querySelector("[data-export-status]");
  if (!box) { return; }
  var finished = function (state) { return state === "done" || state === "failed"; };
  if (finished(box.getAttribute("data-state"))) { return; }
  var rowsText = box.querySelector("[data-export-rows]");
  var poll = function () {
    fetch(box.getAttribute("data-export-status"), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        box.querySelector("[data-export-state]").textContent = status.state_label;
        box.querySelector("[data-export-progress]").value = status.percent;
        if (status.rows_total !== null) {
          rowsText.textContent = status.rows_written + " / " + status.rows_total;
        }
        var error = box.querySelector("[data-export-error]");
        error.textContent = status.error;
        error.hidden = !status.error;
        var link = box.querySelector("[data-export-download]");
        if (status.download_url) {
          link.href = status.download_url;
          link.hidden = false;
        }
        if (!finished(status.state)) { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  };
  window.setTimeout(poll, 1000);
})();
