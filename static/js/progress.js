// Polls a job's status URL while it is busy and reloads the page when it settles. The page names
// the statuses that mean "still working" in data-busy-statuses (an import, a report, ...).
(function () {
  var box = document.getElementById("job-status");
  if (!box || box.dataset.busy !== "1") return;
  var bar = box.querySelector("progress");
  var percent = document.getElementById("job-percent");
  var working = (box.dataset.busyStatuses || "").split(" ");
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (bar) bar.value = data.percent;
        if (percent) percent.textContent = data.percent;
        if (working.indexOf(data.status) !== -1) {
          setTimeout(poll, 1000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 800);
})();
