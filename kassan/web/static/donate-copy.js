/* Copy buttons on the payment page (progressive enhancement). Without JavaScript, or in a
   browser that cannot write to the clipboard, the buttons stay hidden and the values are plain
   text that one tap selects whole (CSS user-select: all). */
(function () {
  "use strict";
  if (!navigator.clipboard || !navigator.clipboard.writeText) {
    return;
  }
  var status = document.querySelector(".copy-status");
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.dataset.copy).then(function () {
        document.querySelectorAll("button.copy").forEach(function (other) {
          other.textContent = label;
        });
        button.textContent = button.dataset.copied;
        if (status) {
          status.textContent = button.dataset.copied + ": " + button.dataset.copy;
        }
      });
    });
  });
})();
