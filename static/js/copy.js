// A "Copy" button for a read-only field: <button data-copy="field-id" hidden>; shown only where the clipboard works.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector('[data-copied-for="' + button.getAttribute("data-copy") + '"]');
    if (!field || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        if (status) status.textContent = "Copied.";
      }, function () {
        field.select();
        if (status) status.textContent = "Select the link and copy it.";
      });
    });
  });
});
