package metrics

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

func TestFlumeJSONShape(t *testing.T) {
	reg := NewRegistry("a1")
	src := reg.Source("r1", "netcat")
	src.EventReceivedCount.Add(10)
	src.EventAcceptedCount.Add(9)
	src.OpenConnectionCount.Set(2)
	src.Component.startTime.Store(1700000000123)

	ch := reg.Channel("c1", "memory")
	ch.ChannelCapacity.Set(200)
	ch.ChannelSize.Set(25)
	ch.EventPutAttemptCount.Add(43)
	ch.EventPutSuccessCount.Add(42)
	ch.Component.startTime.Store(1700000000000)
	ch.Component.stopTime.Store(1700000009999)

	sk := reg.Sink("k1", "logger")
	sk.EventDrainSuccessCount.Add(40)
	sk.Counter("RollbackCount").Add(3)

	want := map[string]map[string]string{
		"SOURCE.r1": {
			"EventReceivedCount":       "10",
			"EventAcceptedCount":       "9",
			"AppendBatchReceivedCount": "0",
			"AppendBatchAcceptedCount": "0",
			"AppendReceivedCount":      "0",
			"AppendAcceptedCount":      "0",
			"OpenConnectionCount":      "2",
			"ChannelWriteFail":         "0",
			"EventReadFail":            "0",
			"GenericProcessingFail":    "0",
			"Type":                     "SOURCE",
			"StartTime":                "1700000000123",
			"StopTime":                 "0",
		},
		"CHANNEL.c1": {
			"ChannelCapacity":       "200",
			"ChannelSize":           "25",
			"ChannelFillPercentage": "12.5",
			"EventPutAttemptCount":  "43",
			"EventPutSuccessCount":  "42",
			"EventTakeAttemptCount": "0",
			"EventTakeSuccessCount": "0",
			"Type":                  "CHANNEL",
			"StartTime":             "1700000000000",
			"StopTime":              "1700000009999",
		},
		"SINK.k1": {
			"BatchCompleteCount":     "0",
			"BatchEmptyCount":        "0",
			"BatchUnderflowCount":    "0",
			"ConnectionCreatedCount": "0",
			"ConnectionClosedCount":  "0",
			"ConnectionFailedCount":  "0",
			"EventDrainAttemptCount": "0",
			"EventDrainSuccessCount": "40",
			"EventWriteFail":         "0",
			"ChannelReadFail":        "0",
			"EventDroppedCount":      "0",
			"EventDeadLetterCount":   "0",
			"DeadLetterPutFail":      "0",
			"RollbackCount":          "3",
			"Type":                   "SINK",
			"StartTime":              "0",
			"StopTime":               "0",
		},
	}

	// Through the HTTP handler, decoded as a generic JSON document, so the test sees exactly
	// what a Flume dashboard would.
	rec := httptest.NewRecorder()
	Handler(reg, Probes{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics.json: %d %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var got map[string]map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("decode %s: %v", rec.Body, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("metrics.json mismatch\n got  %v\n want %v", got, want)
		for k, w := range want {
			for name, v := range w {
				if got[k][name] != v {
					t.Errorf("%s.%s = %q, want %q", k, name, got[k][name], v)
				}
			}
			for name, v := range got[k] {
				if _, ok := w[name]; !ok {
					t.Errorf("%s has unexpected %s = %q", k, name, v)
				}
			}
		}
	}
}

func TestFlumeJSONEmpty(t *testing.T) {
	got, err := json.Marshal(FlumeJSON(NewRegistry("a1")))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "{}" {
		t.Errorf("empty registry = %s, want {}", got)
	}
}

// TestJavaDouble checks the formatting against what Java's Double.toString prints.
func TestJavaDouble(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{12.5, "12.5"},
		{100, "100.0"},
		{1, "1.0"},
		{33.333333333333336, "33.333333333333336"},
		{0.1, "0.1"},
		{0.001, "0.001"},
		{0.0001, "1.0E-4"},
		{1.5e-5, "1.5E-5"},
		{9999999, "9999999.0"},
		{1e7, "1.0E7"},
		{1.2345e10, "1.2345E10"},
		{-2.5, "-2.5"},
		{-1e-9, "-1.0E-9"},
		{1e100, "1.0E100"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
	}
	for _, tt := range tests {
		if got := javaDouble(tt.in); got != tt.want {
			t.Errorf("javaDouble(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
