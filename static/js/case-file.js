// The loan page (templates/loans/loan_detail.html), from a static file: the content security policy
// allows no inline script (docs/security.md). Everything here improves forms that work without it.
(function () {
  "use strict";

  // A step that ends the loan asks once more before it is sent.
  document.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });

  // Site-visit photos: previews of the chosen files, then each file sent in its own request with
  // its progress shown (one request per photo keeps each under the upload limit). Without this
  // script the form sends every chosen photo at once.
  document.querySelectorAll("form[data-photo-upload]").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    var previews = form.querySelector(".upload-previews");
    var box = form.querySelector(".upload-progress");
    var bar = box.querySelector("progress");
    var status = box.querySelector("output");
    var token = form.querySelector("input[name=idempotency_key]").value;
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

    input.addEventListener("change", function () {
      previews.textContent = "";
      Array.prototype.forEach.call(input.files, function (file) {
        var item = document.createElement("li");
        var image = document.createElement("img");
        image.alt = file.name;
        item.appendChild(image);
        previews.appendChild(item);
        // A data: URL (the content security policy allows no blob: images).
        var reader = new FileReader();
        reader.addEventListener("load", function () {
          image.src = reader.result;
        });
        reader.readAsDataURL(file);
      });
    });

    function send(files, index, errors, next) {
      if (index >= files.length) {
        return next(errors);
      }
      var data = new FormData();
      data.append("csrfmiddlewaretoken", csrf);
      data.append("idempotency_key", token + "-f" + index);
      data.append("photos", files[index], files[index].name);
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      request.setRequestHeader("X-CSRFToken", csrf);
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          bar.value = Math.round(((index + event.loaded / event.total) / files.length) * 100);
        }
      });
      request.addEventListener("load", function () {
        try {
          var answer = JSON.parse(request.responseText);
          errors = errors.concat(answer.errors || []);
        } catch (error) {
          errors.push(files[index].name + ": " + request.status);
        }
        bar.value = Math.round(((index + 1) / files.length) * 100);
        status.textContent = (index + 1) + " / " + files.length;
        send(files, index + 1, errors, next);
      });
      request.addEventListener("error", function () {
        errors.push(files[index].name);
        send(files, index + 1, errors, next);
      });
      request.send(data);
    }

    form.addEventListener("submit", function (event) {
      if (!input.files.length || !window.FormData || !window.XMLHttpRequest) {
        return; // the browser sends the form itself
      }
      event.preventDefault();
      var files = Array.prototype.slice.call(input.files);
      box.hidden = false;
      bar.value = 0;
      status.textContent = "0 / " + files.length;
      form.querySelector("button[type=submit]").disabled = true;
      send(files, 0, [], function (errors) {
        form.setAttribute("data-upload-done", errors.length ? "with-errors" : "ok");
        if (errors.length) {
          status.textContent = errors.join(" ");
        }
        // The page shows the photos as stored, with their thumbnails, and any refusal.
        window.location.assign(window.location.pathname + "#" + form.closest(".record").id);
        window.location.reload();
      });
    });
  });
})();
