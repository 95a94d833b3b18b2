package interceptor

import (
	"context"
	"errors"
	"maps"
	"net/netip"
	"strings"
	"testing"

	"github.com/flumego/flumego/channel"
)

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

func fakeHostEnv(name string, resolved, local []netip.Addr) hostEnv {
	return hostEnv{
		hostname: func() (string, error) { return name, nil },
		lookup: func(_ context.Context, _, host string) ([]netip.Addr, error) {
			if host != name {
				return nil, errors.New("unexpected lookup of " + host)
			}
			if resolved == nil {
				return nil, errors.New("no such host")
			}
			return resolved, nil
		},
		ifaces: func() ([]netip.Addr, error) { return local, nil },
	}
}

func TestHost(t *testing.T) {
	tests := []struct {
		name    string
		cfg     HostConfig
		env     hostEnv
		in      channel.Event
		want    map[string]string
		wantErr string
	}{
		{"use_ip picks the resolved non-loopback IPv4",
			*defaultHost(), fakeHostEnv("web-1", addrs("127.0.1.1", "fe80::1", "2001:db8::7", "10.0.0.7"), nil),
			ev("a"), map[string]string{"host": "10.0.0.7"}, ""},
		{"use_ip takes IPv6 when there is no IPv4",
			*defaultHost(), fakeHostEnv("web-1", addrs("::1", "2001:db8::7"), nil),
			ev("a"), map[string]string{"host": "2001:db8::7"}, ""},
		{"a name resolving to loopback falls back to an interface address",
			*defaultHost(), fakeHostEnv("web-1", addrs("127.0.1.1"), addrs("127.0.0.1", "192.168.1.20")),
			ev("a"), map[string]string{"host": "192.168.1.20"}, ""},
		{"loopback when nothing else exists",
			*defaultHost(), fakeHostEnv("web-1", addrs("127.0.1.1"), addrs("127.0.0.1")),
			ev("a"), map[string]string{"host": "127.0.1.1"}, ""},
		{"an unresolvable name on a host with only loopback",
			*defaultHost(), fakeHostEnv("web-1", nil, addrs("127.0.0.1")),
			ev("a"), map[string]string{"host": "127.0.0.1"}, ""},
		{"no address at all is an error at creation",
			*defaultHost(), fakeHostEnv("web-1", nil, nil),
			ev("a"), nil, `no address for host "web-1"`},
		{"use_ip = false sets the host name",
			HostConfig{HostHeader: "host"}, fakeHostEnv("web-1", nil, nil),
			ev("a"), map[string]string{"host": "web-1"}, ""},
		{"overwrites by default",
			HostConfig{HostHeader: "src"}, fakeHostEnv("web-1", nil, nil),
			ev("a", "src", "upstream"), map[string]string{"src": "web-1"}, ""},
		{"preserve_existing keeps the upstream host",
			HostConfig{HostHeader: "src", PreserveExisting: true}, fakeHostEnv("web-1", nil, nil),
			ev("a", "src", "upstream"), map[string]string{"src": "upstream"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ic, err := newHost(&tt.cfg, Settings{}, tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			out := ic.Intercept([]channel.Event{tt.in})
			if !maps.Equal(out[0].Headers, tt.want) {
				t.Errorf("headers = %v, want %v", out[0].Headers, tt.want)
			}
		})
	}
}

// TestHostOnThisMachine resolves for real: whatever the machine, use_ip yields an address.
func TestHostOnThisMachine(t *testing.T) {
	ic := mustCreate(t, NewHostFactory(), ``)
	out := ic.Intercept([]channel.Event{ev("a")})
	if _, err := netip.ParseAddr(out[0].Headers["host"]); err != nil {
		t.Errorf("host header %q is not an IP address: %v", out[0].Headers["host"], err)
	}
}
