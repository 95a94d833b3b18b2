// Route lines by their first character, as the Java interceptor of
// netcat-interceptor-multiplexing.conf did.
var header = "type";

function register(params) {
  header = params.header;
}

function process(event) {
  var m = event.Get("message");
  event.Put(header, /^[0-9]/.test(m) ? "number" : "letter");
}
