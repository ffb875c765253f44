/* An answer longer than a short phrase is set as running text (card.css: .answer.long). */
(function () {
  var answers = document.querySelectorAll(".answer");
  for (var i = 0; i < answers.length; i++) {
    if (answers[i].textContent.trim().length > 40) answers[i].classList.add("long");
  }
})();
