# Converted from netcat-interceptor-multiplexing.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  source "netcat" "r1" {
    # flume: a1.sources.r1.interceptors.i1.type (line 14): not carried over:
    #   "com.myUbuntu.flume.interceptor.CustomInterceptor$Builder" is not a Flume built-in interceptor
    #   but a Java class, and flumego cannot run Java code: write its logic in the script interceptor
    #   skeleton written at the source, as comments (its settings are its params); when it sets a header
    #   from the body, a regex_header rule does it without code (interceptor "regex_header" { header =
    #   "...", rule "VALUE" { regex = "..." } }); the multiplexing selector routes by header "type", so
    #   until something sets it no event matches a mapping and each is dropped (counted as
    #   EventUnroutedCount): a regex_header skeleton for it is written at the source, as comments
    bind     = "localhost"
    port     = 44444
    channels = ["c1", "c2"]
    # interceptor "script" {
    #   source = <<-JS
    #     // com.myUbuntu.flume.interceptor.CustomInterceptor$Builder, ported:
    #     function process(event) {
    #       // event.Get("message") is the body, event.Get("NAME") a header;
    #       // event.Put("NAME", "VALUE") sets a header, event.Cancel() drops the event
    #     }
    #   JS
    # }
    # interceptor "regex_header" {
    #   header = "type"
    #   rule "first" {
    #     regex = "REGEX FOR first"
    #   }
    #   rule "second" {
    #     regex = "REGEX FOR second"
    #   }
    # }
    selector "multiplexing" {
      header  = "type"
      mapping = { first = ["c1"], second = ["c2"] }
    }
  }

  channel "memory" "c1" {
    capacity             = 1000
    transaction_capacity = 100
  }

  channel "memory" "c2" {
    capacity             = 1000
    transaction_capacity = 100
  }

  sink "avro" "k1" {
    channel    = "c1"
    hostname   = "hadoop103"
    port       = 4141
    batch_size = 100 # Flume's default
  }

  sink "avro" "k2" {
    channel    = "c2"
    hostname   = "hadoop104"
    port       = 4242
    batch_size = 100 # Flume's default
  }
}
