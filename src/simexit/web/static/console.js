// Keyboard shortcuts of the agent console (listed on the queue page under "Keyboard shortcuts").
// A file of its own: the Content-Security-Policy allows scripts from this site only, never inline.
(function () {
  "use strict";
  var current = -1;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr[data-row]"));
  }

  function mark(index) {
    var all = rows();
    if (!all.length) { return; }
    current = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row, i) { row.classList.toggle("is-current", i === current); });
    var link = all[current].querySelector("a[data-open]");
    if (link) { link.focus({ preventScroll: false }); }
  }

  function inRow(selector) {
    var all = rows();
    return current >= 0 && all[current] ? all[current].querySelector(selector) : null;
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var key = event.key, found;
    if (key === "j") { mark(current + 1); }
    else if (key === "k") { mark(current - 1); }
    else if (key === "o") { found = inRow("a[data-open]"); if (found) { found.click(); } }
    else if (key === "x") { found = inRow("input[type=checkbox]"); if (found) { found.click(); } }
    else if (key === "c") { found = inRow("[data-claim]") || document.querySelector("[data-claim]"); if (found) { found.click(); } }
    else if (key === "n") { found = document.getElementById("next-case"); if (found) { window.location.href = found.href; } }
    else if (key === "/") { found = document.querySelector("[data-key='/']"); if (found) { found.focus(); } }
    else if (key === "a") { found = document.getElementById("approve-button"); if (found) { found.focus(); } }
    else if (key === "r") { found = document.getElementById("reason"); if (found) { found.focus(); } }
    else if (key === "?") { found = document.getElementById("shortcuts"); if (found) { found.open = !found.open; } }
    else { return; }
    event.preventDefault();
  });
  // A filter swaps the table: start again from the top.
  document.addEventListener("htmx:afterSwap", function () { current = -1; });
}());
