// Progressive enhancement of core.search.SearchSelect. The widget works with htmx alone: typing fills
// the select under the box with the matches. This script opens those matches as a list under the box
// (one click to pick), and lets the arrow keys go from the box into the list and Escape close it.
(function () {
  var OPEN_ROWS = 8;

  function parts(element) {
    var box = element && element.closest ? element.closest(".pb-search") : null;
    if (!box) return null;
    return { box: box, input: box.querySelector("input[type=search]"), select: box.querySelector("select") };
  }

  function open(p) {
    var rows = p.select.options.length;
    if (rows > 1) p.select.size = Math.min(rows, OPEN_ROWS);
  }

  function close(p) {
    p.select.removeAttribute("size");
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var p = parts(event.detail.target);
    if (!p || event.detail.target !== p.select) return;
    if (document.activeElement === p.input && p.select.options.length > 1) open(p);
    else close(p);
  });

  document.addEventListener("keydown", function (event) {
    var p = parts(event.target);
    if (!p) return;
    if (event.target === p.input && event.key === "ArrowDown" && p.select.options.length > 1) {
      event.preventDefault();
      open(p);
      p.select.focus();
      if (p.select.selectedIndex < 1) {
        p.select.selectedIndex = 1;
        // As if picked by hand: whatever follows the choice (htmx `change from:`) hears of it.
        p.select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    } else if (event.target === p.select && p.select.size > 1 && (event.key === "Enter" || event.key === "Escape")) {
      event.preventDefault();
      close(p);
    }
  });

  // A click on a row picks it; leaving the list closes it.
  document.addEventListener("click", function (event) {
    var p = parts(event.target);
    if (p && p.select.size > 1 && (event.target === p.select || event.target.parentElement === p.select)) close(p);
  });
  document.addEventListener("focusout", function (event) {
    var p = parts(event.target);
    if (p && (event.target === p.select || (event.target === p.input && event.relatedTarget !== p.select))) close(p);
  });
})();
