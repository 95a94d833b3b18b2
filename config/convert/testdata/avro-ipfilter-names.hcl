# Converted from avro-ipfilter-names.conf (Apache Flume properties) by `agent convert`.
# Comments starting with "flume:" mark what was not carried over or was changed.

agent "a1" {
  source "avro" "r1" {
    # flume: a1.sources.r1.ipFilterRules (line 10): not carried over: the host-name rules
    #   deny:name:badhost.example.com are left out (flumego matches client addresses only, without
    #   reverse DNS): clients Flume refused by name now get through unless a later rule refuses their
    #   address — add deny rules with their addresses (deny:ip:10.1.2.3 or deny:10.1.2.0/24) in their
    #   place
    # flume: a1.sources.r1.ipFilterRules (line 10): not carried over: the host-name rules
    #   allow:name:*.corp.example.com are left out (flumego matches client addresses only, without
    #   reverse DNS): those clients now fall through to the later rules (allow:ip:10.*, deny:ip:*) —
    #   add allow rules with their addresses in their place
    bind            = "0.0.0.0"
    port            = 4141
    ip_filter       = true
    ip_filter_rules = ["allow:ip:10.*", "deny:ip:*"]
    channels        = ["c1"]
  }

  channel "memory" "c1" {
    capacity             = 100 # Flume's default
    transaction_capacity = 100 # Flume's default
  }

  sink "logger" "k1" {
    channel    = "c1"
    batch_size = 1 # Flume's default
  }
}
