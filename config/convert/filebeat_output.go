package convert

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/flumego/flumego/config/flume"
)

// output converts Filebeat's one enabled output into the sink.
func (c *fbConv) output() {
	out := c.root.get("output")
	if out == nil || len(out.keys) == 0 {
		c.drop(nil, &ynode{path: "output", line: 1}, "no output is set: the converted agent has no sink, and its channel fills up")
		return
	}
	var unsupported []*ynode
	for _, name := range out.keys {
		o := out.m[name]
		if on, _ := o.get("enabled").boolean(true); !on {
			o.all()
			continue
		}
		if c.sink != nil {
			c.drop(nil, o, "Filebeat runs one output and refuses a file that enables several: the sink is output.%s's", c.sink.Labels[1])
			o.all()
			continue
		}
		switch name {
		case "kafka":
			c.kafkaOutput(o)
		case "file":
			c.fileOutput(o)
		default:
			unsupported = append(unsupported, o)
			o.all()
		}
	}
	for _, o := range unsupported {
		consequence := "the converted agent has no sink, and its channel fills up"
		if c.sink != nil {
			consequence = "the sink is output." + c.sink.Labels[1] + "'s (Filebeat refuses a file that enables several outputs)"
		}
		c.drop(nil, o, "%s: %s", fbReason(o.path), consequence)
	}
}

// serializer writes Filebeat's document for each event: a json serializer with the filebeat
// preset, when the sink has serializer blocks.
func (c *fbConv) serializer(b *flume.Block, o *ynode, sinkType, required string) {
	if f := o.get("codec.format"); f != nil {
		if s := f.get("string"); strings.TrimSpace(s.str()) == "%{[message]}" {
			return // the body as is: the sink's default
		}
		c.drop(b, f, "only codec.format.string \"%%{[message]}\" (the line as is) carries over: write a serializer \"format\" block by hand")
		f.all()
		return
	}
	if j := o.get("codec.json"); j != nil {
		for _, k := range []string{"pretty", "escape_html"} {
			if y := j.get(k); y != nil {
				c.drop(b, y, "flumego writes each document on one line, HTML characters unescaped, as Filebeat's defaults")
			}
		}
	}
	if !probe(c.comps.Sinks, sinkType, required+"\nserializer \"json\" {\n preset = \"filebeat\"\n}") {
		c.drop(b, o, "flumego's %s sink has no json serializer in this build: it writes each event's body, not Filebeat's JSON document", sinkType)
		return
	}
	sb := flume.NewBlock("serializer", "json")
	sb.Set("preset", flume.String("filebeat"))
	if n := c.root.get("name"); n.str() != "" {
		sb.Set("name", c.tmpl(n))
	}
	b.Add(sb)
}

var fbFieldRef = regexp.MustCompile(`%\{\[([^\]]+)\](?:\[([^\]]+)\])*(?::([^}]*))?\}`)

// formatString turns a Filebeat format string (%{[fields.log_topic]}) into a flumego header
// template (%{fields.log_topic}), reporting references flumego cannot fill from headers.
func (c *fbConv) formatString(b *flume.Block, y *ynode) flume.Template {
	t := c.tmpl(y)
	for i, p := range t {
		if p.Env != "" {
			continue
		}
		t[i].Lit = fbFieldRef.ReplaceAllStringFunc(p.Lit, func(ref string) string {
			m := fbFieldRef.FindStringSubmatch(ref)
			field := strings.Trim(strings.ReplaceAll(strings.TrimPrefix(strings.SplitN(ref, ":", 2)[0], "%{"), "][", "."), "[]}")
			if m[3] != "" {
				c.note(b, y, true, "the default of %s (%q) is not carried over: flumego writes \"\" for a missing header", ref, m[3])
			}
			field = fbHeader(field)
			if !headerField(field) {
				c.note(b, y, true, "%%{[%s]} names a field flumego does not keep as a header (agent.*, host.*, @metadata.*, message): it expands to \"\"", field)
			}
			return "%{" + field + "}"
		})
	}
	return t
}

// fbHeader is the header a Filebeat document field is in flumego: the taildir source's
// Kubernetes names differ from add_kubernetes_metadata's.
func fbHeader(field string) string {
	switch field {
	case "kubernetes.namespace":
		return "k8s.namespace.name"
	case "kubernetes.pod.name", "kubernetes.pod.uid", "kubernetes.container.name":
		return "k8s." + strings.TrimPrefix(field, "kubernetes.")
	}
	return field
}

// headerField reports whether a document field is an event header in flumego: fields.*, the
// taildir source's ecs_headers, and what interceptors set.
func headerField(f string) bool {
	switch {
	case f == "message", f == "@timestamp", strings.HasPrefix(f, "agent."), strings.HasPrefix(f, "host."),
		strings.HasPrefix(f, "@metadata."), strings.HasPrefix(f, "ecs."),
		f == "agent", f == "host", f == "@metadata", f == "ecs":
		return false
	}
	return true
}

func (c *fbConv) kafkaOutput(o *ynode) {
	b := flume.NewBlock("sink", "kafka", "kafka")
	b.Set("channel", flume.String("queue"))
	var brokers flume.List
	if h := o.get("hosts"); h != nil {
		for _, e := range h.list {
			e.used = true
			brokers = append(brokers, c.tmpl(e))
		}
		if h.kind != 0 && len(h.list) == 0 && h.str() != "" {
			t := c.tmpl(h)
			brokers = append(brokers, t)
			if t.HasEnv() {
				c.note(b, h, true, "Filebeat splits a comma-separated value of %s into several hosts; brokers takes it as one host:port: list the brokers if it holds several", h.str())
			}
		}
	}
	if len(brokers) == 0 {
		brokers = flume.Strings([]string{flume.KafkaPlaceholderBroker})
		c.note(b, o, true, "output.kafka.hosts is not set: brokers is set to %q to replace", flume.KafkaPlaceholderBroker)
	}
	b.Set("brokers", brokers)
	if t := o.get("topic"); t != nil {
		b.Set("topic", c.formatString(b, t))
	} else {
		c.note(b, o, true, "output.kafka.topic is not set (Filebeat refuses that): topic is set to \"filebeat\" to replace")
		b.Set("topic", flume.String("filebeat"))
	}
	if ts := o.get("topics"); ts != nil {
		c.drop(b, ts, "rule-based topics (topics with when conditions) are not carried over: route with a multiplexing selector into one kafka sink per topic, or set the topic from a header (%%{NAME})")
		ts.all()
	}
	b.Set("allow_topic_override", flume.Bool(false))
	b.Attr("allow_topic_override").Comment = "Filebeat takes the topic from its topic setting only"
	if k := o.get("key"); k != nil {
		if m := fbFieldRef.FindStringSubmatch(strings.TrimSpace(k.str())); m != nil && m[0] == strings.TrimSpace(k.str()) && m[3] == "" {
			field := strings.Trim(strings.ReplaceAll(strings.TrimPrefix(m[0], "%{"), "][", "."), "[]}")
			b.Set("key_header", flume.String(fbHeader(field)))
		} else {
			c.drop(b, k, "flumego takes a record key from one header (key_header): write the key's field as a header, or leave records keyless")
			b.Set("key_header", flume.String(""))
		}
	} else {
		b.Set("key_header", flume.String(""))
		b.Attr("key_header").Comment = "Filebeat sends keyless records unless key is set"
	}
	acks := "1"
	if a := o.get("required_acks"); a != nil {
		switch a.str() {
		case "0", "1":
			acks = a.str()
		case "-1":
			acks = "all"
		default:
			c.drop(b, a, "%q is not 0, 1 or -1: Filebeat's default, 1, is used", a.str())
		}
	}
	b.Set("acks", flume.String(acks))
	comp := "gzip" // Filebeat's default
	if cp := o.get("compression"); cp != nil {
		if v, ok := flume.KafkaCompressions[strings.ToLower(cp.str())]; ok {
			comp = v
		} else {
			c.drop(b, cp, "compression %q has no flumego equivalent (none, gzip, snappy, lz4, zstd): gzip, Filebeat's default, is used", cp.str())
		}
	}
	b.Set("compression", flume.String(comp))
	if cl := o.get("compression_level"); cl != nil {
		c.drop(b, cl, "flumego compresses with each codec's default level")
	}
	maxBytes := int64(1000000) // Filebeat's default
	if mb := o.get("max_message_bytes"); mb != nil {
		if n, err := strconv.ParseInt(mb.str(), 10, 64); err == nil && n > 0 {
			maxBytes = n
		} else {
			c.drop(b, mb, "%q is not a number of bytes: Filebeat's default, 1000000, is used", mb.str())
		}
	}
	b.Set("max_message_bytes", flume.Size(maxBytes))
	batch := 2048 // Filebeat's bulk_max_size
	if bs := o.get("bulk_max_size"); bs != nil {
		if n, err := strconv.Atoi(bs.str()); err == nil && n > 0 {
			batch = n
		} else {
			c.drop(b, bs, "%q is not a number of events: Filebeat's default, 2048, is used", bs.str())
		}
	}
	if capAttr := c.channel.Attr("capacity"); capAttr != nil {
		if n, ok := capAttr.Val.(flume.Int); ok && int(n) < batch {
			c.note(b, o, true, "bulk_max_size %d is above the queue's %d events: batch_size is %d", batch, n, n)
			batch = int(n)
		}
	}
	b.Set("batch_size", flume.Int(batch))
	b.Set("headers_as_record_headers", flume.Bool(false))
	b.Attr("headers_as_record_headers").Comment = "Filebeat sends no record headers"
	producer := &flume.Object{}
	if id := o.get("client_id"); id != nil {
		producer.Set("client.id", c.tmpl(id))
	}
	if to := o.get("timeout"); to != nil {
		if d, ok := fbDuration(to.str(), time.Second); ok {
			producer.Set("request.timeout.ms", flume.String(strconv.FormatInt(d.Milliseconds(), 10)))
		} else {
			c.drop(b, to, "%q is not a duration", to.str())
		}
	}
	if producer.Len() > 0 {
		b.Set("producer", producer)
	}
	for k, why := range map[string]string{
		"version":              "flumego's Kafka client negotiates the protocol version with each broker",
		"max_retries":          "flumego retries a failed batch with back-off until the brokers take it: events wait in the channel and are not dropped after a number of tries",
		"backoff":              "flumego backs off on its own (capped exponential back-off)",
		"bulk_flush_frequency": "flumego's sink sends what it took at once (linger sets a wait)",
		"broker_timeout":       "no flumego equivalent",
		"channel_buffer_size":  "no flumego equivalent",
		"keep_alive":           "no flumego equivalent",
		"metadata":             "flumego's client refreshes metadata on its own (producer metadata.max.age.ms)",
		"worker":               "one producer per sink",
		"headers":              "flumego sends no static record headers",
		"kerberos":             "Kerberos (GSSAPI) is not supported by flumego",
		"partition":            "flumego partitions by key (murmur2, as Kafka's Java client) and spreads keyless records batch by batch",
	} {
		if y := o.get(k); y != nil {
			c.drop(b, y, "%s", why)
			y.all()
		}
	}
	c.kafkaTLS(b, o)
	if u := o.get("username"); u != nil {
		sb := flume.NewBlock("sasl")
		mech := "PLAIN" // Filebeat's default with a username
		if m := o.get("sasl.mechanism"); m.str() != "" {
			mech = strings.ToUpper(m.str())
		}
		sb.Set("mechanism", flume.String(mech))
		sb.Set("username", c.tmpl(u))
		sb.Set("password", c.tmpl(o.get("password")))
		b.Add(sb)
	}
	c.serializer(b, o, "kafka", `brokers = ["k:9092"]`)
	c.sink = b
}

// kafkaTLS converts output.kafka.ssl.* into the tls block.
func (c *fbConv) kafkaTLS(b *flume.Block, o *ynode) {
	s := o.get("ssl")
	if s == nil {
		return
	}
	if on, _ := s.get("enabled").boolean(true); !on {
		s.all()
		return
	}
	tb := flume.NewBlock("tls")
	if ca := s.get("certificate_authorities"); ca != nil {
		cas := ca.strs()
		if len(cas) > 0 {
			tb.Set("ca_file", flume.String(cas[0]))
		}
		if len(cas) > 1 {
			c.drop(b, ca, "flumego reads one CA file: ca_file is the first; concatenate the others into it")
		}
	}
	if cert := s.get("certificate"); cert != nil {
		tb.Set("cert_file", c.tmpl(cert))
	}
	if key := s.get("key"); key != nil {
		tb.Set("key_file", c.tmpl(key))
	}
	if vm := s.get("verification_mode"); vm != nil {
		switch vm.str() {
		case "none":
			tb.Set("insecure_skip_verify", flume.Bool(true))
			c.note(b, vm, true, "the brokers' certificates are not checked (insecure_skip_verify), as with Filebeat's none")
		case "full", "strict", "":
		case "certificate":
			c.note(b, vm, true, "flumego checks the brokers' host names too (Filebeat's full); set tls { server_name } when the certificates name another host")
		}
	}
	for _, k := range []string{"key_passphrase", "supported_protocols", "cipher_suites", "curve_types", "renegotiation", "ca_trusted_fingerprint"} {
		if y := s.get(k); y != nil {
			c.drop(b, y, "flumego reads an unencrypted PEM key and uses TLS 1.2 or later with Go's cipher suites")
			y.all()
		}
	}
	b.Add(tb)
}

func (c *fbConv) fileOutput(o *ynode) {
	b := flume.NewBlock("sink", "file_roll", "file")
	b.Set("channel", flume.String("queue"))
	if p := o.get("path"); p != nil {
		b.Set("directory", c.tmpl(p))
	} else {
		b.Set("directory", flume.String("/tmp/filebeat"))
		c.note(b, o, true, "output.file.path is not set: Filebeat writes to /tmp/filebeat (its default), and so does the conversion")
	}
	name := "filebeat"
	if f := o.get("filename"); f.str() != "" {
		name = f.str()
	}
	b.Set("prefix", flume.String(name+"-"))
	b.Set("roll_interval", flume.Duration(0))
	why := "flumego's file_roll names files " + name + "-<start-millis>-<n> and rolls them by time (roll_interval, 0 = one file per start) where Filebeat rotates by size (rotate_every_kb, 10 MiB) keeping number_of_files (7): rotate them with logrotate, or set roll_interval"
	rot := false
	for _, k := range []string{"rotate_every_kb", "number_of_files", "rotate_on_startup"} {
		if y := o.get(k); y != nil {
			c.drop(b, y, "%s", why)
			rot = true
		}
	}
	if !rot {
		c.note(b, o, true, "%s", why)
	}
	if p := o.get("permissions"); p != nil {
		c.drop(b, p, "file_roll creates its files with mode 0644 less the umask")
	}
	c.serializer(b, o, "file_roll", `directory = "/tmp"`)
	c.sink = b
}

// fbDuration reads a Filebeat duration: a Go duration ("30s") or a number of units.
func fbDuration(s string, unit time.Duration) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(n * float64(unit)), n >= 0
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d >= 0
}

// durationValue is a duration setting, or the text as written (reported) when it is not one.
func (c *fbConv) durationValue(b *flume.Block, y *ynode) (flume.Value, bool) {
	if t := c.tmpl(y); t.HasEnv() {
		return t, true
	}
	d, ok := fbDuration(y.str(), time.Second)
	if !ok {
		c.drop(b, y, "%q is not a duration", y.str())
		return nil, false
	}
	return flume.Duration(d), true
}
