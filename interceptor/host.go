package interceptor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"time"
)

// HostConfig configures the host interceptor, Flume's HostInterceptor: it sets a header to the
// agent host's IP address or name.
type HostConfig struct {
	// PreserveExisting keeps a header already set (by an upstream agent, say).
	PreserveExisting bool `hcl:"preserve_existing,optional"`
	// UseIP sets the IP address rather than the host name.
	UseIP bool `hcl:"use_ip,optional"`
	// HostHeader is the header to set.
	HostHeader string `hcl:"host_header,optional"`
}

func defaultHost() *HostConfig {
	return &HostConfig{UseIP: true, HostHeader: "host"}
}

// Validate reports every problem of the configuration.
func (c *HostConfig) Validate() error {
	return errors.Join(notEmpty("host_header", c.HostHeader))
}

// NewHostFactory returns the factory of the "host" interceptor.
func NewHostFactory() Factory {
	return NewFactory("host", defaultHost, NewHost, flumeHost)
}

// NewHost returns a host interceptor. It resolves the host's name or address once, here: an
// interceptor does no I/O per batch. The name is os.Hostname's; the address is the first
// non-loopback address the name resolves to (IPv4 first), else the first non-loopback address
// of an interface, else a loopback address (the name's, else an interface's). Flume's
// InetAddress.getLocalHost() often answers 127.0.1.1 on Debian, which helps nobody downstream.
func NewHost(cfg *HostConfig, set Settings) (Interceptor, error) {
	return newHost(cfg, set, hostEnv{hostname: os.Hostname, lookup: net.DefaultResolver.LookupNetIP, ifaces: interfaceAddrs})
}

// hostEnv is where the host interceptor learns its name and addresses; tests replace it.
type hostEnv struct {
	hostname func() (string, error)
	lookup   func(ctx context.Context, network, host string) ([]netip.Addr, error)
	ifaces   func() ([]netip.Addr, error)
}

func newHost(cfg *HostConfig, set Settings, env hostEnv) (Interceptor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, createErr("interceptor", "host", err)
	}
	name, err := env.hostname()
	if err != nil {
		return nil, createErr("interceptor", "host", fmt.Errorf("host name: %w", err))
	}
	value := name
	if cfg.UseIP {
		ip, err := hostIP(name, env)
		if err != nil {
			return nil, createErr("interceptor", "host", err)
		}
		value = ip.String()
	}
	if set.Logger != nil {
		set.Logger.Debug("host header", "header", cfg.HostHeader, "value", value)
	}
	return &staticHeader{key: cfg.HostHeader, value: value, preserve: cfg.PreserveExisting}, nil
}

// hostIP picks the address of host name: see NewHost.
func hostIP(name string, env hostEnv) (netip.Addr, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resolved, lookupErr := env.lookup(ctx, "ip", name)
	if ip, ok := pickIP(resolved); ok {
		return ip, nil
	}
	local, ifErr := env.ifaces()
	if ip, ok := pickIP(local); ok {
		return ip, nil
	}
	for _, ip := range slices.Concat(resolved, local) {
		if ip.IsValid() {
			return ip.Unmap(), nil
		}
	}
	return netip.Addr{}, fmt.Errorf("no address for host %q: %w", name, errors.Join(lookupErr, ifErr, errors.New("no interface address")))
}

// pickIP returns the first non-loopback, non-link-local IPv4 address, else such an IPv6 one.
func pickIP(addrs []netip.Addr) (netip.Addr, bool) {
	var v6 netip.Addr
	for _, a := range addrs {
		a = a.Unmap()
		if !a.IsValid() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() {
			continue
		}
		if a.Is4() {
			return a, true
		}
		if !v6.IsValid() {
			v6 = a
		}
	}
	return v6, v6.IsValid()
}

func interfaceAddrs() ([]netip.Addr, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr())
		}
	}
	return out, nil
}
