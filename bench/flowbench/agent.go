package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// proc is an agent under measurement.
type proc struct {
	cmd        *exec.Cmd
	metrics    string
	anon, file int64 // the highest RssAnon and RssFile sampled, KiB
}

func start(bin, cfg string, env ...string) *proc {
	m := fmt.Sprintf("127.0.0.1:%d", freePort())
	cmd := exec.Command(bin, "-f", cfg, "--log-level", "warn")
	cmd.Env = append(append(os.Environ(), "FLUMEGO_METRICS="+m), env...)
	cmd.Stderr = os.Stderr
	check(cmd.Start())
	p := &proc{cmd: cmd, metrics: m}
	deadline := time.Now().Add(20 * time.Second)
	for p.value("flumego_channel_capacity") < 0 {
		if time.Now().After(deadline) {
			panic("agent did not come up")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return p
}

// value sums every series of a metric; -1 when the endpoint is not up yet.
func (p *proc) value(name string) float64 {
	resp, err := http.Get("http://" + p.metrics + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sum, found := 0.0, false
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, name+"{") || strings.HasPrefix(line, name+" ") {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			sum += v
			found = true
		}
	}
	if !found {
		return -1
	}
	return sum
}

// waitFor polls cond every interval until it holds, sampling the agent's memory meanwhile, and
// returns when it held.
func (p *proc) waitFor(every time.Duration, cond func() bool) time.Time {
	deadline := time.Now().Add(15 * time.Minute)
	for !cond() {
		p.sample()
		if time.Now().After(deadline) {
			panic("timed out after 15 minutes")
		}
		time.Sleep(every)
	}
	return time.Now()
}

// waitMetric waits until a metric reaches target.
func (p *proc) waitMetric(name string, target float64) time.Time {
	return p.waitFor(2*time.Millisecond, func() bool { return p.value(name) >= target })
}

func (p *proc) sample() {
	pid := p.cmd.Process.Pid
	p.anon = max(p.anon, statusKiB(pid, "RssAnon:"))
	p.file = max(p.file, statusKiB(pid, "RssFile:"))
}

// stop reads CPU and memory from /proc, then stops the agent.
func (p *proc) stop() result {
	p.sample()
	pid := p.cmd.Process.Pid
	r := result{anon: p.anon, file: p.file, peak: statusKiB(pid, "VmHWM:")}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		r.cpu = (ut + st) / 100 // USER_HZ
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	_ = p.cmd.Wait()
	return r
}

func statusKiB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, field) {
			v, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return v
		}
	}
	return 0
}

func idle(bin string) result {
	p := start(bin, "examples/quickstart.hcl", fmt.Sprintf("FLUMEGO_PORT=%d", freePort()))
	time.Sleep(2 * time.Second) // let start-up garbage be collected; idle is what it settles at
	rss := statusKiB(p.cmd.Process.Pid, "VmRSS:")
	r := p.stop()
	r.peak = rss
	return r
}

func seqFlow(bin, cfg string, batch int, total int64) result {
	dir, err := os.MkdirTemp("", "flowbench-chan-")
	check(err)
	defer os.RemoveAll(dir)
	t0 := time.Now()
	p := start(bin, cfg, fmt.Sprintf("FLUMEGO_BATCH=%d", batch), fmt.Sprintf("FLUMEGO_TOTAL=%d", total), "FLUMEGO_DIR="+dir)
	end := p.waitMetric("flumego_sink_event_drain_success_total", float64(total))
	r := p.stop()
	r.events, r.seconds = total, end.Sub(t0).Seconds()
	return r
}

func netcatFlow(bin string, n int) result {
	port := freePort()
	p := start(bin, "examples/netcat-null.hcl", fmt.Sprintf("FLUMEGO_PORT=%d", port))
	line := []byte(strings.Repeat("x", 149) + "\n")
	payload := make([]byte, 0, len(line)*10000)
	for range 10000 {
		payload = append(payload, line...)
	}
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	check(err)
	t0 := time.Now()
	for sent := 0; sent < n; sent += 10000 {
		_, err := c.Write(payload)
		check(err)
	}
	check(c.(*net.TCPConn).CloseWrite())
	sentLines := ((n + 9999) / 10000) * 10000
	end := p.waitMetric("flumego_sink_event_drain_success_total", float64(sentLines))
	c.Close()
	r := p.stop()
	r.events, r.bytes, r.seconds = int64(sentLines), int64(sentLines)*int64(len(line)), end.Sub(t0).Seconds()
	return r
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
