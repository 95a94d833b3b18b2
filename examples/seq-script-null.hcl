# Benchmark flow for the script interceptor: seq → script (a Filebeat-style script: read the
# message, drop some lines, set a field, tag) → memory → null. bench/run.sh -only script runs
# it; FLUMEGO_BATCH and FLUMEGO_TOTAL as in seq-null.hcl.
agent "bench" {
  source "seq" "gen" {
    channels   = ["c1"]
    total      = env("FLUMEGO_TOTAL", "10000000")
    batch_size = env("FLUMEGO_BATCH", "1000")

    interceptor "script" {
      source = <<-JS
        function process(event) {
          var m = event.Get("message");
          if (m.indexOf("DEBUG") !== -1) {
            event.Cancel();
            return;
          }
          event.Put("kind", (m.charCodeAt(m.length - 1) & 1) ? "odd" : "even");
          event.Tag("seen");
        }
      JS
      test {
        input  = { message = "41" }
        expect = { message = "41", kind = "odd", tags = "seen" }
      }
    }
  }

  channel "memory" "c1" {
    capacity             = 100000
    transaction_capacity = 10000
  }

  sink "null" "k1" {
    channel    = "c1"
    batch_size = env("FLUMEGO_BATCH", "1000")
  }

  metrics {
    listen = env("FLUMEGO_METRICS", "127.0.0.1:41414")
  }
}
