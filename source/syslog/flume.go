package syslog

import (
	"strings"

	"github.com/flumego/flumego/config/flume"
)

// Flume's three syslog sources convert into this one: syslogtcp, syslogudp (protocol = "udp")
// and multiport_syslogtcp, which becomes one syslog source per port.
var (
	flumeSyslogTCP = syslogMapping("syslogtcp source", "tcp", "syslogtcp", "org.apache.flume.source.SyslogTcpSource")
	flumeSyslogUDP = syslogMapping("syslogudp source", "udp", "syslogudp", "org.apache.flume.source.SyslogUDPSource")
	flumeMultiport = multiportMapping()
)

func syslogMapping(name, protocol string, aliases ...string) *flume.Mapping {
	m := &flume.Mapping{
		Flume: name, Aliases: aliases,
		Settings: []flume.Setting{
			flume.Map("host", flume.AsString, "host"), flume.Map("port", flume.AsInt, "port"), flume.Map("event_size", flume.AsInt, "eventSize"),
			flume.Func(keepFields, "keepFields"),
			flume.Map("client_ip_header", flume.AsString, "clientIPHeader"),
		},
		Dropped: map[string]string{
			"clientHostnameHeader": "flumego does not resolve client host names; use clientIPHeader (client_ip_header)",
		},
		Finish: func(c *flume.Conv) {
			if protocol == "udp" {
				c.Set("protocol", flume.String("udp"))
			}
			finishSyslog(c)
		},
	}
	if protocol == "tcp" {
		m.Settings = append(m.Settings, flume.Func(noTLS, "ssl"))
		m.Dropped = flume.TLSDropped(m.Dropped)
		m.Dropped["keystore"] = "used with ssl only (see ssl)"
	}
	return m
}

func multiportMapping() *flume.Mapping {
	m := syslogMapping("multiport_syslogtcp source", "tcp", "multiport_syslogtcp", "org.apache.flume.source.MultiportSyslogTCPSource")
	m.Settings = append(m.Settings,
		flume.Func(func(c *flume.Conv, p flume.Property) {
			ports := strings.Fields(p.Value)
			if len(ports) == 0 {
				c.Reject(p, "no port is listed")
				return
			}
			values := make([]flume.Value, len(ports))
			for i, port := range ports {
				values[i] = c.Convert(flume.Property{Key: p.Key, Value: port, Line: p.Line}, flume.AsInt)
			}
			c.Set("port", values[0])
			c.SplitBy("port", ports, values)
			if len(ports) > 1 {
				c.CompNote(true, "multiport_syslogtcp listens on %d ports: converted into one syslog source per port, named %s_PORT", len(ports), c.Name)
			}
		}, "ports"),
		flume.Func(func(c *flume.Conv, p flume.Property) {
			if v, ok := c.Literal(p); ok && v != "" {
				c.SplitHeader = v
				c.Note(p, true, "flumego's syslog source sets no port header: each port's source sets header %q to its port with a static interceptor, first in its chain", v)
				return
			}
			c.Drop(p, "the header name must be literal text")
		}, "portHeader"),
		flume.Map("batch_size", flume.AsInt, "batchSize"))
	m.Dropped["numProcessors"] = "flumego serves connections with goroutines"
	m.Dropped["readBufferSize"] = "flumego sizes its read buffers itself"
	m.Prefixes = []flume.Prefix{{Prefix: "charset.", Fn: flume.UTF8Only}}
	m.Defaults = []flume.Default{{Attr: "batch_size", Value: flume.Int(100)}}
	return m
}

func keepFields(c *flume.Conv, p flume.Property) {
	v, ok := c.Literal(p)
	if !ok {
		c.Set("keep_fields", c.Tmpl(p))
		return
	}
	switch strings.ToLower(v) {
	case "true":
		v = "all"
	case "false", "":
		v = "none"
	default:
		v = strings.ToLower(v)
	}
	c.Set("keep_fields", flume.String(v))
}

// noTLS leaves out a syslog source that Flume served over TLS: flumego's would listen in plain
// text, and would read its TLS clients' handshakes as syslog lines.
func noTLS(c *flume.Conv, p flume.Property) {
	if b, ok := c.Convert(p, flume.AsBool).(flume.Bool); ok && bool(b) {
		c.Omit(p, "Flume serves this syslog source over TLS; flumego's syslog source has no TLS, and in plain text it would read its clients' TLS handshakes as syslog lines: left out — terminate TLS in front of it (stunnel, a load balancer) and convert it by hand")
	}
}

// finishSyslog writes the address Flume binds when host is not set: every interface.
func finishSyslog(c *flume.Conv) {
	if c.Block.Attr("host") == nil {
		c.Set("host", flume.String("0.0.0.0"))
		c.CompNote(true, "host is not set, so Flume listens on every interface; flumego needs it written: host = \"0.0.0.0\" (every IPv4 interface; \"::\" adds IPv6)")
	}
}
