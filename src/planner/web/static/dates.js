// Every date field says its date in the notice's words next to it ("3月9日 星期六"), whatever language the
// browser draws the field in (an English browser shows mm/dd/yyyy).
(function () {
  var WEEK = "日一二三四五六";
  function say(input) {
    var out = input.nextElementSibling;
    if (!out || !out.classList.contains("date-cn")) {
      out = document.createElement("small");
      out.className = "date-cn";
      out.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", out);
    }
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input.value);
    if (!m) { out.textContent = "（年-月-日，未填写）"; return; }
    var d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    out.textContent = m[1] + "年" + (+m[2]) + "月" + (+m[3]) + "日 星期" + WEEK.charAt(d.getUTCDay());
  }
  function all() {
    document.querySelectorAll('input[type="date"]').forEach(function (i) {
      say(i);
      if (!i.dataset.cn) { i.dataset.cn = "1"; i.addEventListener("input", function () { say(i); }); i.addEventListener("change", function () { say(i); }); }
    });
  }
  document.addEventListener("DOMContentLoaded", all);
  document.addEventListener("htmx:afterSwap", all);
})();
