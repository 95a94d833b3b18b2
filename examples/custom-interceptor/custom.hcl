# The netcat-interceptor-multiplexing flow with its Java interceptor ported to Go: this
# module's first_char interceptor sets header "type", the multiplexing selector routes on it,
# and this module's line_file sink writes each channel to its own file.
#   go build -o agent . && ./agent validate -f custom.hcl && ./agent -f custom.hcl
agent "a1" {
  source "netcat" "r1" {
    bind     = "127.0.0.1"
    port     = env("FLUMEGO_PORT", "44444")
    channels = ["letters", "digits"]

    interceptor "first_char" {
      header = "type"
      digit  = "number"
      letter = "letter"
      other  = "other"
    }
    selector "multiplexing" {
      header  = "type"
      mapping = { letter = ["letters"], number = ["digits"] }
      default = ["letters"]
    }
  }

  channel "memory" "letters" {}
  channel "memory" "digits" {}

  sink "line_file" "k_letters" {
    channel = "letters"
    path    = env("FLUMEGO_OUT_LETTERS", "/tmp/flumego-letters.log")
  }
  sink "line_file" "k_digits" {
    channel = "digits"
    path    = env("FLUMEGO_OUT_DIGITS", "/tmp/flumego-digits.log")
  }
}
