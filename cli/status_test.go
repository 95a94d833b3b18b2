package cli

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/flumego/flumego/metrics"
)

// flumeJSON is what Apache Flume's HTTP monitoring answers on /metrics.
const flumeJSON = `{"CHANNEL.c1":{"ChannelCapacity":"1000","ChannelFillPercentage":"95.0","Type":"CHANNEL",
"ChannelSize":"950","EventTakeSuccessCount":"10","EventPutSuccessCount":"960","StartTime":"1","StopTime":"0"},
"SINK.k1":{"Type":"SINK","EventDrainSuccessCount":"10","EventWriteFail":"4","StartTime":"1","StopTime":"0"}}`

// TestStatusReadsFlumeJSONEndpoints points `agent status`'s reader at endpoints that serve
// only Flume's JSON shape: an older flumego (/metrics.json) and an Apache Flume agent
// (/metrics), as during a migration.
func TestStatusReadsFlumeJSONEndpoints(t *testing.T) {
	for _, path := range []string{"/metrics.json", "/metrics"} {
		t.Run(path, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.HandleFunc("GET "+path, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(flumeJSON))
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			addr := strings.TrimPrefix(srv.URL, "http://")

			c := &http.Client{Timeout: 5 * time.Second}
			s, err := fetchSnapshot(c, addr)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Components) != 2 || s.Components[0].Values["ChannelSize"] != 950 || s.Components[1].Values["EventWriteFail"] != 4 {
				t.Fatalf("snapshot = %+v", s)
			}
			var out bytes.Buffer
			prev := s
			prev.Time = s.Time.Add(-time.Second)
			writeStatus(&out, addr, metrics.Compare(prev, s))
			for _, want := range []string{
				"agent (unnamed) at " + addr + ": health unknown",
				"CHANNEL  c1    -     -       95.0% (950/1000)",
				"<== full (95%)",
			} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("status lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

func TestStatusOfSomethingElse(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			_, _ = w.Write([]byte("# HELP up Prometheus text, not Flume's JSON\nup 1\n"))
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	_, err := fetchSnapshot(&http.Client{Timeout: 5 * time.Second}, strings.TrimPrefix(srv.URL, "http://"))
	if err == nil || !strings.Contains(err.Error(), "serves neither /status.json nor Flume's JSON metrics") {
		t.Errorf("fetchSnapshot of a Prometheus-only endpoint = %v", err)
	}
}
