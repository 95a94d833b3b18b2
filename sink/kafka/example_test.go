package kafka

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/flumego/flumego/internal/exampletest"
	"github.com/flumego/flumego/serializer"
	"github.com/flumego/flumego/sink"
)

// decodeBlocks decodes every kafka sink block of src through the factory (channel and
// batch_size are the config stage's) and returns the configs by name, or the diagnostics.
func decodeBlocks(t *testing.T, name, src string) (map[string]*Config, hcl.Diagnostics) {
	t.Helper()
	blocks, diags := exampletest.DecodeBlocks(t, name, []byte(src), "sink", "kafka", NewFactory())
	out := map[string]*Config{}
	for _, b := range blocks {
		out[b.Name] = b.Config.(*Config)
	}
	return out, diags
}

func TestExample(t *testing.T) {
	src, err := os.ReadFile("example.hcl")
	if err != nil {
		t.Fatal(err)
	}
	cfgs, diags := decodeBlocks(t, "example.hcl", string(src))
	if diags.HasErrors() || len(cfgs) != 3 {
		t.Fatalf("%d blocks: %v", len(cfgs), diags)
	}
	k1 := cfgs["k1"]
	if d := Defaults(); k1.Topic != d.Topic || k1.Acks != d.Acks || k1.MaxMessageBytes != d.MaxMessageBytes || !k1.AllowTopicOverride {
		t.Errorf("k1 should spell out the defaults: %+v", k1)
	}
	k2 := cfgs["k2"]
	if k2.Idempotent == nil || !*k2.Idempotent || k2.DefaultPartitionID == nil || *k2.DefaultPartitionID != 0 ||
		k2.FallbackTopic != "logs-unrouted" || k2.SASL == nil || k2.SASL.Mechanism != "SCRAM-SHA-512" || k2.TLS == nil || k2.Producer["client.id"] != "flumego-edge" ||
		k2.HeadersAsRecordHeaders || k2.RecordHeaders["host"] != "origin-host" {
		t.Errorf("k2 decoded as %+v", k2)
	}
	if k3 := cfgs["k3"]; k3.serializer().Name() != serializer.JSON || k3.serializer().Spec.(*serializer.JSONConfig).Preset != serializer.PresetFilebeat {
		t.Errorf("k3's serializer decoded as %+v", k3.Serializer)
	}
	for name, cfg := range cfgs {
		if cfg.TLS != nil {
			cfg.TLS = nil // the example's certificate files do not exist here
		}
		s, err := NewFactory().Create(cfg, sink.Settings{Name: name, Type: "kafka", BatchSize: 100, DataDir: t.TempDir()})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_ = s.Close(context.Background())
	}
}

func TestConfigErrorsPointAtTheAttribute(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"no brokers", `topic = "x"`, `Missing required argument`},
		{"acks", `brokers = ["k:9092"]` + "\n" + `acks = "2"`, `acks: must be "0", "1" or "all"`},
		{"acks as a number", `brokers = ["k:9092"]` + "\n" + `acks = 0`, ``},
		{"idempotent without all", `brokers = ["k:9092"]` + "\n" + `idempotent = true`, `idempotent: needs acks = "all"`},
		{"compression", `brokers = ["k:9092"]` + "\n" + `compression = "brotli"`, `compression: unknown codec "brotli"`},
		{"oversize", `brokers = ["k:9092"]` + "\n" + `oversize = "block"`, `oversize: must be "drop" or "truncate"`},
		{"unknown producer key", `brokers = ["k:9092"]` + "\n" + `producer = { "frobnicate" = "1" }`, `unsupported property "frobnicate"`},
		{"first-class producer key", `brokers = ["k:9092"]` + "\n" + `producer = { "acks" = "all" }`, `"acks" has its own setting: use acks`},
		{"bad producer value", `brokers = ["k:9092"]` + "\n" + `producer = { "retries" = "many" }`, `retries: want a non-negative whole number`},
		{"broker without port", `brokers = ["kafka1"]`, `"kafka1" is not host:port`},
		{"sasl mechanism", `brokers = ["k:9092"]` + "\n" + `sasl {` + "\n" + `mechanism = "GSSAPI"` + "\n" + `username = "u"` + "\n" + `password = "p"` + "\n" + `}`, `sasl.mechanism: unknown mechanism "GSSAPI"`},
		{"invalid topic", `brokers = ["k:9092"]` + "\n" + `topic = "my logs"`, `topic: invalid topic name "my logs"`},
		{"invalid fallback topic", `brokers = ["k:9092"]` + "\n" + `fallback_topic = "a/b"`, `fallback_topic: invalid topic name "a/b"`},
		{"unknown attribute", `brokers = ["k:9092"]` + "\n" + `topics = "x"`, `Unsupported argument`},
		{"record_headers with every header", `brokers = ["k:9092"]` + "\n" + `record_headers = { a = "b" }`, `record_headers: sends only the headers it maps: set headers_as_record_headers = false`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := "sink \"kafka\" \"k1\" {\n" + c.body + "\n}\n"
			_, diags := decodeBlocks(t, "test.hcl", src)
			if c.want == "" {
				if diags.HasErrors() {
					t.Fatalf("unexpected diagnostics: %v", diags)
				}
				return
			}
			if !diags.HasErrors() || !strings.Contains(diags.Error(), c.want) {
				t.Fatalf("diagnostics %v, want one containing %q", diags, c.want)
			}
			if !strings.Contains(diags.Error(), "test.hcl:") {
				t.Errorf("diagnostics %v carry no position", diags)
			}
		})
	}
}
