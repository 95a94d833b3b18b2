package avro

import (
	"fmt"
	"net/netip"
	"path"
	"strings"
)

// ipRule is one ip_filter_rules entry: a CIDR prefix or one of Flume's "ip:" glob patterns.
type ipRule struct {
	allow  bool
	prefix netip.Prefix
	glob   string // Flume's pattern ("127.*", "*"), when prefix is unset
}

// parseIPRules reads ip_filter_rules. Each rule is "allow:CIDR" or "deny:CIDR", or Flume's
// "allow:ip:PATTERN" / "deny:ip:PATTERN" where PATTERN is an address with "*" wildcards.
// Flume's "name:" rules need reverse DNS on every connection and are not supported.
func parseIPRules(rules []string) ([]ipRule, error) {
	out := make([]ipRule, 0, len(rules))
	for _, r := range rules {
		verb, rest, ok := strings.Cut(strings.TrimSpace(r), ":")
		if !ok || (verb != "allow" && verb != "deny") {
			return nil, fmt.Errorf(`rule %q: want "allow:CIDR" or "deny:CIDR"`, r)
		}
		rule := ipRule{allow: verb == "allow"}
		switch {
		case strings.HasPrefix(rest, "name:"):
			return nil, fmt.Errorf("rule %q: host name rules are not supported; use addresses or CIDR prefixes", r)
		case strings.HasPrefix(rest, "ip:"):
			rule.glob = strings.TrimPrefix(rest, "ip:")
			if _, err := path.Match(rule.glob, ""); err != nil || rule.glob == "" {
				return nil, fmt.Errorf("rule %q: bad pattern", r)
			}
		default:
			p, err := netip.ParsePrefix(rest)
			if err != nil {
				a, aerr := netip.ParseAddr(rest)
				if aerr != nil {
					return nil, fmt.Errorf("rule %q: %q is neither a CIDR prefix nor an address", r, rest)
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			rule.prefix = p.Masked()
		}
		out = append(out, rule)
	}
	return out, nil
}

// allowed applies the rules in order, the first match deciding, as Flume's filter does; an
// address no rule matches is allowed (end the rules with "deny:0.0.0.0/0" and "deny:::/0" to
// refuse the rest).
func allowed(rules []ipRule, addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, r := range rules {
		if r.prefix.IsValid() {
			if r.prefix.Contains(addr) {
				return r.allow
			}
			continue
		}
		if ok, _ := path.Match(r.glob, addr.String()); ok {
			return r.allow
		}
	}
	return true
}
