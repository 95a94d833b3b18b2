package http_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/internal/avrorpc/avrotest"
	"github.com/flumego/flumego/internal/sourcetest"
	"github.com/flumego/flumego/metrics"
	"github.com/flumego/flumego/source"
	httpsource "github.com/flumego/flumego/source/http"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func start(t *testing.T, mod func(*httpsource.Config)) (string, *sourcetest.Processor, *metrics.Source) {
	t.Helper()
	cfg := httpsource.Defaults()
	cfg.Bind, cfg.Port = "127.0.0.1", 0
	if mod != nil {
		mod(cfg)
	}
	rec := &sourcetest.Processor{}
	m := metrics.NewRegistry("a1").Source("r1", "http")
	src, err := httpsource.New(cfg, source.Settings{Name: "r1", Metrics: m, Processor: rec})
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Run(t, src, 10*time.Second)
	return src.(*httpsource.Source).Addr().String(), rec, m
}

func post(t *testing.T, client *http.Client, url, body string) (int, string) {
	t.Helper()
	resp, err := client.Post(url, "application/json; charset=UTF-8", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestJSONEventsArePutAndAnswered200(t *testing.T) {
	addr, rec, _ := start(t, nil)
	code, msg := post(t, http.DefaultClient, "http://"+addr+"/", `[{"headers":{"a":"b"},"body":"random_body"},{"headers":{},"body":"random_body2"},{"body":""}]`)
	if code != 200 {
		t.Fatalf("status %d: %s", code, msg)
	}
	want := []channel.Event{{Headers: map[string]string{"a": "b"}, Body: []byte("random_body")}, {Body: []byte("random_body2")}, {Body: []byte{}}}
	if !reflect.DeepEqual(rec.Batches(), [][]channel.Event{want}) {
		t.Fatalf("put %+v", rec.Batches())
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name   string
		method string
		body   string
		full   bool
		status int
	}{
		{"not JSON", "POST", `hello`, false, 400},
		{"an object, not an array", "POST", `{"body":"x"}`, false, 400},
		{"a number as header value", "POST", `[{"headers":{"a":1},"body":"x"}]`, false, 400},
		{"truncated", "POST", `[{"body":"x"},`, false, 400},
		{"data after the array", "POST", `[] []`, false, 400},
		{"too many events", "POST", `[{"body":"1"},{"body":"2"},{"body":"3"}]`, false, 413},
		{"too large", "POST", `[{"body":"` + strings.Repeat("x", 4096) + `"}]`, false, 413},
		{"channel full", "POST", `[{"body":"x"}]`, true, 503},
		{"GET", "GET", ``, false, 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, rec, m := start(t, func(c *httpsource.Config) { c.MaxBatchEvents, c.MaxRequestBytes = 2, 2048 })
			rec.SetRefusing(tt.full)
			req, _ := http.NewRequest(tt.method, "http://"+addr+"/", strings.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if rec.Count() != 0 {
				t.Fatal("events were put from a refused request")
			}
			if wantFail := tt.status == 400 || tt.status == 413; wantFail != (m.EventReadFail.Load() == 1) {
				t.Fatalf("EventReadFail = %d", m.EventReadFail.Load())
			}
		})
	}
}

func TestHTTPS(t *testing.T) {
	certs := avrotest.NewCerts(t)
	addr, rec, _ := start(t, func(c *httpsource.Config) { c.SSL, c.CertFile, c.KeyFile = true, certs.CertFile, certs.KeyFile })
	pem, _ := os.ReadFile(certs.CAFile)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: avrotest.ServerName}}
	defer tr.CloseIdleConnections()
	code, msg := post(t, &http.Client{Transport: tr}, "https://"+addr+"/", `[{"body":"secure"}]`)
	if code != 200 || rec.Count() != 1 {
		t.Fatalf("status %d %s, %d events", code, msg, rec.Count())
	}
}

func TestConfigValidation(t *testing.T) {
	cfg := httpsource.Defaults()
	cfg.Port, cfg.Handler, cfg.SSL, cfg.MaxRequestBytes, cfg.MaxBatchEvents, cfg.ReadTimeout = 99999, "blob", true, 1, 0, 0
	err := cfg.Validate()
	for _, a := range []string{"bind", "port", "handler", "cert_file", "key_file", "max_request_bytes", "max_batch_events", "read_timeout"} {
		if err == nil || !strings.Contains(err.Error(), a+":") {
			t.Errorf("no error about %s in %v", a, err)
		}
	}
}
