# Route by content: lines starting with a digit go to one directory, letters to another.
# regex_header sets header "type" from the first matching rule; the multiplexing selector
# routes on it (Flume's custom-interceptor + multiplexing case, without any Java).
agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_PORT", "44444")
    channels = ["letters", "digits"]

    interceptor "regex_header" {
      header = "type"
      rule "number" { regex = "^[0-9]" }
      rule "letter" { regex = "^[A-Za-z]" }
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
