// Polls the micro-cached total (cached 2 s at the edge, so a crowd costs one origin call per edge per 2 s).
(function () {
  function refresh() {
    fetch('/api/hello').then(function (r) { return r.json(); }).then(function (j) {
      document.getElementById('total').textContent = j.message;
    }).catch(function () {});
  }
  refresh();
  setInterval(refresh, 5000);
})();
