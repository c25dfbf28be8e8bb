// What every page shares: a confirmation before a form whose button asks for one.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = button && button.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
