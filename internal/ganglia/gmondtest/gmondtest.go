// Package gmondtest runs a real Ganglia gmond (Debian package ganglia-monitor) for tests: it
// listens for metrics on a loopback UDP port, and dumps what it holds as XML to whoever
// connects to its loopback TCP port. Tests skip, saying why, where gmond is not installed.
package gmondtest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Gmond is a running gmond.
type Gmond struct {
	// UDPAddr is where gmond receives metrics ("127.0.0.1:port").
	UDPAddr string
	// TCPAddr is where gmond answers with its XML dump.
	TCPAddr string
	out     *syncBuffer
}

// conf is a gmond.conf for a collector that only listens: deaf = no (it receives), mute = yes
// (it sends nothing of its own), no modules (it collects nothing about this host).
const conf = `globals {
  daemonize = no
  setuid = no
  debug_level = 0
  max_udp_msg_len = 1472
  mute = yes
  deaf = no
  allow_extra_data = yes
  host_dmax = 0
  cleanup_threshold = 300
  gexec = no
  send_metadata_interval = 0
}
cluster {
  name = "flumego-test"
}
udp_recv_channel {
  bind = 127.0.0.1
  port = %d
}
tcp_accept_channel {
  bind = 127.0.0.1
  port = %d
}
`

// Start runs gmond with a generated configuration on free loopback ports and waits until it
// answers on its TCP port. It is stopped when the test ends. Without gmond the test is
// skipped.
func Start(t testing.TB) *Gmond {
	t.Helper()
	path, err := exec.LookPath("gmond")
	if err != nil {
		t.Skip("gmond not installed (apt-get install ganglia-monitor): Ganglia reporting is not checked against a real gmond")
	}
	udp, tcp := freeUDPPort(t), freeTCPPort(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "gmond.conf")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, conf, udp, tcp), 0o644); err != nil {
		t.Fatal(err)
	}
	g := &Gmond{
		UDPAddr: fmt.Sprintf("127.0.0.1:%d", udp),
		TCPAddr: fmt.Sprintf("127.0.0.1:%d", tcp),
		out:     &syncBuffer{},
	}
	cmd := exec.Command(path, "-f", "-c", cfg, "-p", filepath.Join(dir, "gmond.pid"))
	cmd.Stdout, cmd.Stderr = g.out, g.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start gmond: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("gmond output:\n%s", g.out.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-done:
			t.Fatalf("gmond exited at start-up:\n%s", g.out.String())
		default:
		}
		if _, err := g.Dump(); err == nil {
			return g
		} else if time.Now().After(deadline) {
			t.Fatalf("gmond did not answer on %s within 15s: %v\n%s", g.TCPAddr, err, g.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Metric is one METRIC element of gmond's XML dump.
type Metric struct {
	Host  string // the HOST element's NAME
	Name  string `xml:"NAME,attr"`
	Val   string `xml:"VAL,attr"`
	Type  string `xml:"TYPE,attr"`
	Units string `xml:"UNITS,attr"`
	TMax  string `xml:"TMAX,attr"`
	DMax  string `xml:"DMAX,attr"`
	Slope string `xml:"SLOPE,attr"`
	Extra []struct {
		Name string `xml:"NAME,attr"`
		Val  string `xml:"VAL,attr"`
	} `xml:"EXTRA_DATA>EXTRA_ELEMENT"`
}

// ExtraData returns the value of the extra data element called name ("GROUP"), or "".
func (m Metric) ExtraData(name string) string {
	for _, e := range m.Extra {
		if e.Name == name {
			return e.Val
		}
	}
	return ""
}

type dump struct {
	Clusters []struct {
		Hosts []struct {
			Name    string   `xml:"NAME,attr"`
			Metrics []Metric `xml:"METRIC"`
		} `xml:"HOST"`
	} `xml:"CLUSTER"`
}

// Dump connects to gmond's TCP port and returns every metric it holds, of every host, by name.
func (g *Gmond) Dump() (map[string]Metric, error) {
	conn, err := net.DialTimeout("tcp", g.TCPAddr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	body, err := io.ReadAll(conn)
	if err != nil {
		return nil, fmt.Errorf("read gmond's XML: %w", err)
	}
	var d dump
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.CharsetReader = latin1
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("parse gmond's XML: %w\n%s", err, body)
	}
	out := map[string]Metric{}
	for _, c := range d.Clusters {
		for _, h := range c.Hosts {
			for _, m := range h.Metrics {
				m.Host = h.Name
				out[m.Name] = m
			}
		}
	}
	return out, nil
}

// latin1 decodes gmond's ISO-8859-1 XML, the only encoding it writes.
func latin1(charset string, r io.Reader) (io.Reader, error) {
	if !strings.EqualFold(charset, "ISO-8859-1") {
		return nil, fmt.Errorf("unexpected XML encoding %q", charset)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	runes := make([]rune, len(b))
	for i, c := range b {
		runes[i] = rune(c)
	}
	return strings.NewReader(string(runes)), nil
}

func freeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func freeTCPPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
