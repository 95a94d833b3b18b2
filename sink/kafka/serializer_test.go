package kafka

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/kafkatest"
	"github.com/flumego/flumego/serializer"
	"github.com/flumego/flumego/serializer/serializertest"
	"github.com/flumego/flumego/sink"
)

func TestSerializerMakesTheValueAndTheTimestampHeaderTheRecordTime(t *testing.T) {
	_, brokers := cluster(t, 1, "logs")
	s, _ := newSink(t, brokers, func(c *Config) {
		c.Topic = "logs"
		c.Serializer = serializer.Of(serializer.JSON)
		c.Serializer.Spec.(*serializer.JSONConfig).Preset = serializer.PresetFlume
	})
	old := time.Date(2001, 9, 9, 1, 46, 40, 0, time.UTC) // far older than delivery.timeout.ms
	in := []channel.Event{
		{Headers: map[string]string{"timestamp": fmt.Sprint(old.UnixMilli())}, Body: []byte(`say "hi"`)},
		{Body: []byte("no time")},
	}
	before := time.Now().Add(-time.Second)
	if err := s.Write(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	recs := kafkatest.ReadN(t, brokers, "logs", 2, 10*time.Second)
	for i, r := range recs {
		var doc struct {
			Headers map[string]string `json:"headers"`
			Body    string            `json:"body"`
		}
		if err := json.Unmarshal(r.Value, &doc); err != nil || doc.Body != string(in[i].Body) {
			t.Errorf("record %d value %s: %v", i, r.Value, err)
		}
		if strings.HasSuffix(string(r.Value), "\n") {
			t.Errorf("record %d value ends with a newline", i)
		}
	}
	if !recs[0].Timestamp.Equal(old) {
		t.Errorf("record time %v, want the timestamp header's %v", recs[0].Timestamp, old)
	}
	if recs[1].Timestamp.Before(before) {
		t.Errorf("record without a timestamp header has time %v, want the time it was produced", recs[1].Timestamp)
	}
}

func TestAnEventTheSerializerCannotEncodeIsAPermanentFailureOfThatEventOnly(t *testing.T) {
	_, brokers := cluster(t, 1, "logs")
	s, _ := newSink(t, brokers, func(c *Config) {
		c.Topic = "logs"
		c.Serializer = serializertest.Failing("poison")
	})
	err := s.Write(context.Background(), []channel.Event{{Body: []byte("a")}, {Body: []byte("poison")}, {Body: []byte("c")}})
	pe, ok := sink.AsPermanent(err)
	if !ok || len(pe.Events) != 1 || pe.Events[0] != 1 || !serializer.IsEncodeError(err) {
		t.Fatalf("Write = %v, want a permanent failure of event 1, the serializer's", err)
	}
	if got := bodies(kafkatest.ReadN(t, brokers, "logs", 2, 10*time.Second)); strings.Join(got, ",") != "a,c" {
		t.Errorf("delivered %q, want a and c", got)
	}
}

func TestTruncatingSerializesTheShortenedEventAgain(t *testing.T) {
	_, brokers := cluster(t, 1, "logs")
	s, m := newSink(t, brokers, func(c *Config) {
		c.Topic = "logs"
		c.Oversize = OversizeTruncate
		c.MaxMessageBytes = 2048
		c.Serializer = serializer.Of(serializer.JSON)
	})
	big := strings.Repeat("é\"", 3000) // escaping makes the document longer than the body
	if err := s.Write(context.Background(), []channel.Event{{Body: []byte(big)}}); err != nil {
		t.Fatal(err)
	}
	r := kafkatest.ReadN(t, brokers, "logs", 1, 10*time.Second)[0]
	var doc struct{ Message string }
	if err := json.Unmarshal(r.Value, &doc); err != nil {
		t.Fatalf("truncated value is not JSON: %v", err)
	}
	if len(r.Value) > 2048-recordOverhead || !strings.HasPrefix(big, doc.Message) || !utf8.ValidString(doc.Message) || len(doc.Message) < 500 {
		t.Errorf("truncated to %d bytes with a message of %d bytes", len(r.Value), len(doc.Message))
	}
	if counter(m, "EventTruncatedCount") != 1 {
		t.Errorf("EventTruncatedCount = %d, want 1", counter(m, "EventTruncatedCount"))
	}
}

func TestUseFlumeEventFormatIsAvroEvent(t *testing.T) {
	cfgs, diags := decodeBlocks(t, "test.hcl", `
sink "kafka" "same" {
  brokers                = ["k:9092"]
  use_flume_event_format = true
  serializer "avro_event" {}
}
`)
	if diags.HasErrors() || cfgs["same"].serializer().Name() != serializer.AvroEvent {
		t.Fatalf("%v %+v", diags, cfgs)
	}
	_, diags = decodeBlocks(t, "test.hcl", `
sink "kafka" "k1" {
  brokers                = ["k:9092"]
  use_flume_event_format = true
  serializer "json" {}
}`)
	if !strings.Contains(diags.Error(), `test.hcl:4,28-32: sink "kafka" "k1": use_flume_event_format: means serializer "avro_event", but the serializer block is "json"`) {
		t.Errorf("diagnostics %v", diags)
	}
	c := Defaults()
	c.UseFlumeEventFormat = true
	if c.serializer().Name() != serializer.AvroEvent {
		t.Errorf("use_flume_event_format alone is serializer %q", c.serializer().Name())
	}
}
