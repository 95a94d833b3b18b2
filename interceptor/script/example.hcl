# script interceptor examples: paste a source block into an agent "..." { } block.

# Filebeat's script processor, inline: route lines by their first character (Flume's custom
# Java interceptor of netcat-interceptor-multiplexing.conf), with tests that `agent validate`
# runs before the script is deployed.
source "netcat" "r1" {
  bind     = "127.0.0.1"
  port     = 44444
  channels = ["letters", "digits"]

  interceptor "script" {
    source = <<-JS
      function process(event) {
        var m = event.Get("message");
        event.Put("type", /^[0-9]/.test(m) ? "number" : "letter");
      }
    JS
    test {
      input  = { message = "42 apples" }
      expect = { message = "42 apples", type = "number" }
    }
    test {
      input  = { message = "apples" }
      expect = { message = "apples", type = "letter" }
    }
  }
  selector "multiplexing" {
    header  = "type"
    mapping = { letter = ["letters"], number = ["digits"] }
  }
}

# The same script from a file beside the config, made reusable with params; every setting
# written out with its default except file and params.
source "netcat" "r2" {
  bind     = "127.0.0.1"
  port     = 44445
  channels = ["letters"]

  interceptor "script" {
    file                = "route.js" # relative to this file's directory
    params              = { header = "kind" }
    timeout             = "1s"       # one call of process(event)
    max_memory          = "64MiB"    # how much one call may grow the heap
    on_error            = "keep"     # or "drop"
    tag_on_exception    = "_js_exception"
    max_cached_sessions = 4
    test {
      name   = "a number line"
      input  = { message = "7 dwarves", host = "h1" }
      expect = { message = "7 dwarves", host = "h1", kind = "number" }
    }
  }
}

# A Filebeat-style enrichment: parse a field out of the message, tag, and drop debug lines.
source "netcat" "r3" {
  bind     = "127.0.0.1"
  port     = 44446
  channels = ["letters"]

  interceptor "script" {
    on_error = "drop"
    source   = <<-JS
      function process(event) {
        var m = event.Get("message");
        if (m.indexOf("DEBUG") !== -1) {
          event.Cancel();
          return;
        }
        var status = / (\d{3}) /.exec(m);
        if (status) event.Put("http.response.status_code", parseInt(status[1], 10));
        event.Tag("parsed");
      }
    JS
    test {
      input  = { message = "GET /index.html 200 512" }
      expect = { message = "GET /index.html 200 512", "http.response.status_code" = "200", tags = "parsed" }
    }
    test {
      input   = { message = "DEBUG noisy" }
      dropped = true
    }
  }
}

channel "memory" "letters" {}
channel "memory" "digits" {}
