package avro

import (
	"fmt"
	"strings"

	"github.com/flumego/flumego/config/flume"
)

// flumeAvro converts Flume's avro source. Its ip filter rules carry over except Flume's
// host-name rules, which flumego does not evaluate: each is reported with what leaving it out
// changes.
var flumeAvro = &flume.Mapping{
	Flume:   "avro source",
	Aliases: []string{"avro", "org.apache.flume.source.AvroSource"},
	Settings: []flume.Setting{
		flume.Map("bind", flume.AsString, "bind"), flume.Map("port", flume.AsInt, "port"), flume.Map("threads", flume.AsInt, "threads"),
		flume.Func(flume.LowerOneOf("compression_type", map[string]string{"none": "none", "deflate": "deflate"}), "compression-type"),
		flume.Map("ssl", flume.AsBool, "ssl"), flume.Func(flume.Keystore, "keystore"),
		flume.Map("ip_filter", flume.AsBool, "ipFilter"), flume.Func(ipFilterRules, "ipFilterRules"),
	},
	Dropped: flume.TLSDropped(map[string]string{}),
	Finish:  flume.FinishTLS,
}

// ipFilterRules keeps the address rules, in order, and reports the host-name rules.
func ipFilterRules(c *flume.Conv, p flume.Property) {
	v, ok := c.Literal(p)
	if !ok {
		c.Set("ip_filter_rules", c.Convert(p, flume.AsCommas))
		return
	}
	var keep, allowNames, denyNames []string
	for _, r := range flume.SplitCommas(v) {
		verb, rest, _ := strings.Cut(r, ":")
		if name, isName := strings.CutPrefix(rest, "name:"); isName {
			if verb == "deny" {
				denyNames = append(denyNames, name)
			} else {
				allowNames = append(allowNames, name)
			}
			continue
		}
		keep = append(keep, r)
	}
	c.Set("ip_filter_rules", flume.Strings(keep))
	if len(denyNames) > 0 {
		c.Drop(p, "the host-name rules deny:name:%s are left out (flumego matches client addresses only, without reverse DNS): clients Flume refused by name now get through unless a later rule refuses their address — add deny rules with their addresses (deny:ip:10.1.2.3 or deny:10.1.2.0/24) in their place", strings.Join(denyNames, ", deny:name:"))
	}
	if len(allowNames) > 0 {
		c.Drop(p, "the host-name rules allow:name:%s are left out (flumego matches client addresses only, without reverse DNS): those clients now fall through to the later rules%s — add allow rules with their addresses in their place", strings.Join(allowNames, ", allow:name:"), fallThrough(keep))
	}
}

func fallThrough(rest []string) string {
	if len(rest) == 0 {
		return " (none: every client is accepted, as when no rule matches)"
	}
	return fmt.Sprintf(" (%s)", strings.Join(rest, ", "))
}
