# Route by content with a script: lines starting with a digit go to one directory, letters to
# another (Flume's custom Java interceptor of netcat-interceptor-multiplexing.conf, as a few
# lines of JavaScript with Filebeat's script API). multiplexing.hcl does the same with
# regex_header; examples/custom-interceptor with a Go interceptor compiled into the agent.
# `agent validate -f netcat-script-multiplexing.hcl` runs the test blocks.
agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_PORT", "44444")
    channels = ["letters", "digits"]

    interceptor "script" {
      source = <<-JS
        function process(event) {
          var m = event.Get("message");
          event.Put("type", /^[0-9]/.test(m) ? "number" : "letter");
        }
      JS
      timeout = "500ms"
      test {
        input  = { message = "42 is a number" }
        expect = { message = "42 is a number", type = "number" }
      }
      test {
        input  = { message = "a letter" }
        expect = { message = "a letter", type = "letter" }
      }
    }
    selector "multiplexing" {
      header  = "type"
      mapping = { letter = ["letters"], number = ["digits"] }
      default = ["letters"]
    }
  }

  channel "memory" "letters" {
    capacity             = 10000
    transaction_capacity = 1000
  }
  channel "memory" "digits" {
    capacity             = 10000
    transaction_capacity = 1000
  }

  sink "file_roll" "k_letters" {
    channel       = "letters"
    directory     = env("FLUMEGO_OUT_LETTERS", "/tmp/flumego/letters")
    roll_interval = 0
  }
  sink "file_roll" "k_digits" {
    channel       = "digits"
    directory     = env("FLUMEGO_OUT_DIGITS", "/tmp/flumego/digits")
    roll_interval = 0
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
