// Polls a report's status while it renders and reloads the page when it is done or failed.
(function () {
  var box = document.getElementById("job-status");
  if (!box || box.dataset.busy !== "1") return;
  var bar = box.querySelector("progress");
  var percent = document.getElementById("job-percent");
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (bar) bar.value = data.percent;
        if (percent) percent.textContent = data.percent;
        if (data.status === "queued" || data.status === "rendering") {
          setTimeout(poll, 1000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 800);
})();
