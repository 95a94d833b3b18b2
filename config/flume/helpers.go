package flume

import (
	"path/filepath"
	"regexp"
	"strings"
)

// Reasons shared by several mappings.
const (
	WhyTLS     = "Flume's TLS protocol and cipher lists are not configurable in flumego (TLS 1.2 or later, Go's cipher suites)"
	WhyBackoff = "flumego's source backs off on its own (capped exponential back-off)"
	WhyPEMKey  = "flumego reads an unencrypted PEM key (see keystore)"
	WhyPEM     = "flumego reads PEM files (see keystore)"
)

// TLSDropped are the Java TLS settings of a listener that flumego does not carry over.
func TLSDropped(m map[string]string) map[string]string {
	for k, v := range map[string]string{
		"keystore-password": WhyPEMKey, "keystore-type": WhyPEM,
		"exclude-protocols": WhyTLS, "include-protocols": WhyTLS,
		"exclude-cipher-suites": WhyTLS, "include-cipher-suites": WhyTLS,
	} {
		m[k] = v
	}
	return m
}

// UTF8Only accepts a charset setting that asks for UTF-8, which is all flumego reads there.
func UTF8Only(c *Conv, p Property) {
	if v, ok := c.Literal(p); ok && (strings.EqualFold(v, "UTF-8") || strings.EqualFold(v, "UTF8")) {
		return
	}
	c.Drop(p, "charset %q: this flumego component reads UTF-8 only", p.Value)
}

// Keystore remembers a Java keystore; FinishTLS turns it into PEM file placeholders.
func Keystore(c *Conv, p Property) { c.State["keystore"] = p }

// FinishTLS writes cert_file and key_file for a listener with ssl = true: flumego reads PEM
// files, not Java keystores, so the names are derived from the keystore's and the conversion
// is reported.
func FinishTLS(c *Conv) {
	on := false
	if a := c.Block.Attr("ssl"); a != nil {
		b, _ := a.Val.(Bool)
		on = bool(b)
	}
	ks, hasKS := c.State["keystore"].(Property)
	if !on {
		if hasKS {
			c.Drop(ks, "a keystore is only used with ssl = true")
		}
		return
	}
	base := "/etc/flumego/tls/" + c.Name
	if hasKS {
		if v, ok := c.Literal(ks); ok && v != "" {
			base = strings.TrimSuffix(v, filepath.Ext(v))
		}
	}
	c.Set("cert_file", String(base+".crt.pem"))
	c.Set("key_file", String(base+".key.pem"))
	what := ks
	if !hasKS {
		what = Property{Key: "ssl", Line: c.Line}
	}
	c.Note(what, true, "flumego reads a PEM certificate chain and key, not a Java keystore: cert_file and key_file are set to %s.crt.pem and %s.key.pem; create them with `keytool -importkeystore -srckeystore KEYSTORE -destkeystore k.p12 -deststoretype PKCS12`, then `openssl pkcs12 -in k.p12 -nokeys -out CERT` and `openssl pkcs12 -in k.p12 -nocerts -nodes -out KEY`", base, base)
}

// RE2 checks that a Java regular expression is also valid RE2 (Go) syntax and writes it.
func RE2(c *Conv, p Property, attr string) bool {
	v, ok := c.Literal(p)
	if !ok {
		c.Set(attr, c.Tmpl(p))
		return true
	}
	if _, err := regexp.Compile(v); err != nil {
		c.Drop(p, "the Java regular expression %q is not valid in flumego's RE2 syntax (no look-around, no back-references): %v", v, err)
		return false
	}
	c.Set(attr, String(v))
	return true
}

// Regex writes a regular expression setting; an invalid one marks the component invalid
// (State["invalid"]), which an interceptor's converter leaves out.
func Regex(attr string) func(c *Conv, p Property) {
	return func(c *Conv, p Property) {
		if !RE2(c, p, attr) {
			c.State["invalid"] = true
		}
	}
}

// LowerOneOf writes an enum setting when its lower-cased value is one flumego knows.
func LowerOneOf(attr string, m map[string]string) func(c *Conv, p Property) {
	return func(c *Conv, p Property) {
		v, ok := c.Literal(p)
		if !ok {
			c.Set(attr, c.Tmpl(p))
			return
		}
		if ours, ok := m[strings.ToLower(v)]; ok {
			c.Set(attr, String(ours))
			return
		}
		c.Drop(p, "value %q has no flumego equivalent", v)
	}
}
