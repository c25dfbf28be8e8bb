// Telegram opens the Mini App with its signed init data in the URL fragment
// (#tgWebAppData=...); it goes to the server, which checks the signature with the bot token.
(function () {
  var params = new URLSearchParams(window.location.hash.slice(1));
  var initData = params.get("tgWebAppData");
  if (!initData) {
    document.getElementById("mini-app-wait").hidden = true;
    document.getElementById("mini-app-none").hidden = false;
    return;
  }
  document.getElementById("init-data").value = initData;
  document.getElementById("mini-app-form").submit();
})();
