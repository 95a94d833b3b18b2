package escape

import (
	"context"
	"net"
	"os"
	"strings"
)

// LocalHost resolves the values of %[localhost], %[IP] and %[FQDN] as Flume does through Java's
// InetAddress.getLocalHost(): the host name, the address it resolves to (IPv4 first, the first
// non-loopback interface address when it does not resolve), and the canonical name of that
// address (the host name when the reverse look-up fails). Resolve it once: names in file paths
// must not change while the agent runs.
func LocalHost(ctx context.Context) Host {
	name, err := os.Hostname()
	if err != nil || name == "" {
		name = "localhost"
	}
	h := Host{Name: name, FQDN: name}
	if addrs, err := net.DefaultResolver.LookupIPAddr(ctx, name); err == nil && len(addrs) > 0 {
		h.IP = addrs[0].IP.String()
		for _, a := range addrs {
			if a.IP.To4() != nil {
				h.IP = a.IP.String()
				break
			}
		}
	}
	if h.IP == "" {
		h.IP = interfaceIP()
	}
	if names, err := net.DefaultResolver.LookupAddr(ctx, h.IP); err == nil && len(names) > 0 {
		h.FQDN = strings.TrimSuffix(names[0], ".")
	}
	return h
}

func interfaceIP() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "127.0.0.1"
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return "127.0.0.1"
}
