package avro_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
	"time"

	"github.com/flumego/flumego/internal/avrorpc"
	"github.com/flumego/flumego/internal/avrorpc/avrotest"
	"github.com/flumego/flumego/internal/sourcetest"
	"github.com/flumego/flumego/source/avro"
)

func TestTLSWithAndWithoutDeflate(t *testing.T) {
	certs := avrotest.NewCerts(t)
	pem, err := os.ReadFile(certs.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	for _, compression := range []string{"none", "deflate"} {
		t.Run(compression, func(t *testing.T) {
			rec := &sourcetest.Processor{}
			r := start(t, testConfig(func(c *avro.Config) {
				c.SSL, c.CertFile, c.KeyFile, c.CompressionType = true, certs.CertFile, certs.KeyFile, compression
				c.ReadTimeout = 2 * time.Second
			}), rec)
			c := dialClient(t, r, func(cc *avrorpc.ClientConfig) {
				cc.TLS = &tls.Config{RootCAs: roots, ServerName: avrotest.ServerName}
				cc.Deflate, cc.DeflateLevel = compression == "deflate", 6
			})
			batch := events("tls", 300)
			if err := c.AppendBatch(context.Background(), batch, 100, 2); err != nil {
				t.Fatalf("AppendBatch over TLS: %v", err)
			}
			if n := len(rec.Events()); n != len(batch) {
				t.Fatalf("%d events put, want %d", n, len(batch))
			}
			// A client without TLS is refused and counted; the TLS client is still served.
			plain, err := avrorpc.Dial(context.Background(), avrorpc.ClientConfig{Addr: r.addr, RequestTimeout: 5 * time.Second,
				Deflate: compression == "deflate", DeflateLevel: 6})
			if err != nil {
				t.Fatal(err)
			}
			defer plain.Close()
			if err := plain.AppendBatch(context.Background(), batch[:1], 1, 1); err == nil {
				t.Fatal("a plain client was served by a TLS source")
			}
			waitFor(t, "the plain client to be counted", func() bool { return r.m.EventReadFail.Load() == 1 })
			if err := c.AppendBatch(context.Background(), batch[:1], 1, 1); err != nil {
				t.Fatalf("the TLS client after the plain one: %v", err)
			}
		})
	}
}

func TestNewFailsOnABadKeyPair(t *testing.T) {
	certs := avrotest.NewCerts(t)
	_, err := avro.New(testConfig(func(c *avro.Config) { c.SSL, c.CertFile, c.KeyFile = true, certs.CAFile, certs.KeyFile }),
		sourceSettings())
	if err == nil {
		t.Fatal("New accepted a certificate that does not match its key")
	}
}
