package http

import (
	"regexp"
	"strings"

	"github.com/flumego/flumego/config/flume"
)

// flumeHTTP converts Flume's HTTP source. Its default JSONHandler is flumego's default
// handler; another handler class cannot run, and when it looks like it checked credentials the
// report says that the endpoint is now open.
var flumeHTTP = &flume.Mapping{
	Flume:   "http source",
	Aliases: []string{"http", "org.apache.flume.source.http.HTTPSource"},
	Settings: []flume.Setting{
		flume.Map("bind", flume.AsString, "bind"), flume.Map("port", flume.AsInt, "port"),
		flume.Func(handler, "handler"),
		flume.Map("ssl", flume.AsBool, "ssl", "enableSSL"), flume.Func(flume.Keystore, "keystore"),
	},
	Prefixes: []flume.Prefix{
		{Prefix: "handler.", Fn: func(*flume.Conv, flume.Property) {}}, // reported by finishHTTP
		flume.DropPrefix("QueuedThreadPool.", "Jetty tuning does not apply to flumego's HTTP server"),
		flume.DropPrefix("HttpConfiguration.", "Jetty tuning does not apply to flumego's HTTP server"),
		flume.DropPrefix("SslContextFactory.", "Jetty tuning does not apply to flumego's HTTP server"),
		flume.DropPrefix("ServerConnector.", "Jetty tuning does not apply to flumego's HTTP server"),
	},
	Dropped: flume.TLSDropped(map[string]string{
		"keystorePassword": flume.WhyPEMKey, "keystoreType": flume.WhyPEM, "excludeProtocols": flume.WhyTLS,
	}),
	Finish: finishHTTP,
}

// flumeJSONHandler are the names of Flume's default handler.
var flumeJSONHandler = []string{"org.apache.flume.source.http.JSONHandler", "JSONHandler", "json"}

func handler(c *flume.Conv, p flume.Property) {
	v, _ := c.Literal(p)
	for _, h := range flumeJSONHandler {
		if strings.EqualFold(v, h) {
			return
		}
	}
	c.State["handler"] = p
}

// authLike matches what a handler that checks credentials tends to be called or configured with.
var authLike = regexp.MustCompile(`(?i)auth|token|secret|passw|credential|signature|hmac|api[._-]?key|login|jwt|oauth|basic`)

func finishHTTP(c *flume.Conv) {
	h, custom := c.State["handler"].(flume.Property)
	var hints []string
	for _, p := range c.Props {
		if !strings.HasPrefix(p.Key, "handler.") {
			continue
		}
		if !custom {
			c.Unknown(p)
			continue
		}
		c.Drop(p, "a setting of the custom handler %s, which cannot run in flumego", h.Value)
		if authLike.MatchString(p.Key) {
			hints = append(hints, p.Key)
		}
	}
	if custom {
		why := "handler " + h.Value + " is a Java class flumego cannot run: flumego's http source takes Flume's JSON handler format (an array of {headers, body})"
		switch {
		case authLike.MatchString(h.Value) || len(hints) > 0:
			why += "; the handler appears to authenticate its clients (" + strings.Join(append([]string{h.Value}, hints...), ", ") + "), and flumego's http source does not: the converted endpoint accepts every request unauthenticated — bind it to a trusted interface or put an authenticating proxy in front before it takes traffic"
		default:
			why += "; if the handler checked credentials, the converted endpoint no longer does: every request is accepted"
		}
		c.Drop(h, "%s", why)
	}
	if c.Block.Attr("bind") == nil {
		c.Set("bind", flume.String("0.0.0.0"))
		c.CompNote(true, "bind is not set, so Flume listens on 0.0.0.0 (its default); flumego needs it written: bind = \"0.0.0.0\"")
	}
	flume.FinishTLS(c)
}
