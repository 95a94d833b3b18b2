// Command kafkabench measures taildir → channel → Kafka through the real agent binary against a
// kfake broker running as its own process (./internal/kafkatest/cmd/kfake), with a 3-partition
// topic on loopback: events/s, MiB/s, the agent's CPU seconds and peak RSS, for the memory and
// file channels, the compressions and the serializers asked for ("text": the body as is;
// "filebeat": Filebeat's JSON documents, examples/taildir-memory-kafka-filebeat.hcl). MiB/s are of
// the log read. Figures are reported, never asserted.
//
//	python3 ../shared/bench/genlog.py 2000000 /tmp/access.log
//	go run ./internal/kafkatest/cmd/kafkabench -log /tmp/access.log
//	go run ./internal/kafkatest/cmd/kafkabench -channels memory -compression none -serializers text,filebeat
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func main() {
	logFile := flag.String("log", "/tmp/access.log", "the access log to ship (genlog.py output)")
	agentBin := flag.String("agent", "", "agent binary (default: build ./cmd/agent)")
	channels := flag.String("channels", "memory,file", "channels to measure")
	codecs := flag.String("compression", "none,lz4", "compressions to measure")
	sinkBatch := flag.String("sink-batch", "5000", "the kafka sink's batch_size")
	sourceBatch := flag.String("source-batch", "1000", "taildir's batch_size")
	blackhole := flag.Bool("blackhole", false, "the broker acknowledges without storing")
	serializers := flag.String("serializers", "text", "serializers to measure: text, filebeat")
	flag.Parse()

	st, err := os.Stat(*logFile)
	check(err)
	lines := countLines(*logFile)
	tmp, err := os.MkdirTemp("", "kafkabench-")
	check(err)
	defer os.RemoveAll(tmp)
	if *agentBin == "" {
		*agentBin = filepath.Join(tmp, "agent")
		build("./cmd/agent", *agentBin)
	}
	kfakeBin := filepath.Join(tmp, "kfake")
	build("./internal/kafkatest/cmd/kfake", kfakeBin)

	fmt.Printf("%d lines, %.1f MiB\n", lines, float64(st.Size())/(1<<20))
	fmt.Printf("%-32s %9s %12s %9s %7s %9s\n", "flow", "seconds", "events/s", "MiB/s", "CPU s", "peak MiB")
	for _, ch := range strings.Split(*channels, ",") {
		for _, codec := range strings.Split(*codecs, ",") {
			for _, ser := range strings.Split(*serializers, ",") {
				cfg := "examples/taildir-" + ch + "-kafka.hcl"
				if ser != "text" {
					cfg = "examples/taildir-" + ch + "-kafka-" + ser + ".hcl"
				}
				if _, err := os.Stat(cfg); err != nil {
					fmt.Fprintf(os.Stderr, "kafkabench: no %s: skipping %s with the %s channel\n", cfg, ser, ch)
					continue
				}
				secs, cpu, peak := run(*agentBin, kfakeBin, tmp, *logFile, cfg, ch+"-"+codec+"-"+ser, codec, *sourceBatch, *sinkBatch, *blackhole, lines)
				fmt.Printf("%-32s %9.2f %12.0f %9.1f %7.2f %9.1f\n", "taildir → "+ch+" → kafka ("+codec+", "+ser+")", secs,
					float64(lines)/secs, float64(st.Size())/(1<<20)/secs, cpu, float64(peak)/1024)
			}
		}
	}
}

func run(agentBin, kfakeBin, tmp, logFile, cfg, name, codec, sourceBatch, sinkBatch string, blackhole bool, lines int64) (secs, cpu float64, peakKiB int64) {
	dir, err := os.MkdirTemp(tmp, name+"-")
	check(err)
	defer os.RemoveAll(dir)
	logs := filepath.Join(dir, "logs")
	check(os.MkdirAll(logs, 0o755))
	check(os.Link(logFile, filepath.Join(logs, "access.log")))

	args := []string{"-topic", "app-logs:3"}
	if blackhole {
		args = append(args, "-blackhole")
	}
	broker := exec.Command(kfakeBin, args...)
	out, err := broker.StdoutPipe()
	check(err)
	broker.Stderr = os.Stderr
	check(broker.Start())
	defer func() { _ = broker.Process.Signal(syscall.SIGTERM); _ = broker.Wait() }()
	first, err := bufio.NewReader(out).ReadString('\n')
	check(err)
	addr := strings.TrimSpace(strings.TrimPrefix(first, "listening on "))
	go func() { _, _ = io.Copy(io.Discard, out) }()

	agent := exec.Command(agentBin, "-f", cfg)
	agent.Env = append(os.Environ(),
		"FLUMEGO_POSITION_FILE="+filepath.Join(dir, "pos.json"),
		"FLUMEGO_TAIL_PATH="+filepath.Join(logs, "*.log"),
		"FLUMEGO_CHANNEL_DIR="+filepath.Join(dir, "channel"),
		"FLUMEGO_DATA="+filepath.Join(dir, "data"),
		"FLUMEGO_MIN_SPACE=1MiB",
		"FLUMEGO_KAFKA_BROKERS="+addr,
		"FLUMEGO_KAFKA_COMPRESSION="+codec,
		"FLUMEGO_SINK_BATCH="+sinkBatch,
		"FLUMEGO_SOURCE_BATCH="+sourceBatch,
		"FLUMEGO_METRICS=127.0.0.1:"+strconv.Itoa(freePort()),
	)
	agent.Stdout, agent.Stderr = io.Discard, os.Stderr
	start := time.Now()
	check(agent.Start())
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	check(err)
	defer cl.Close()
	var peak int64
	for {
		peak = max(peak, status(agent.Process.Pid, "VmHWM"))
		if n := topicCount(cl, "app-logs"); n >= lines {
			break
		}
		if time.Since(start) > 15*time.Minute {
			fmt.Fprintln(os.Stderr, "kafkabench: gave up after 15 minutes")
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	secs = time.Since(start).Seconds()
	cpu = cpuSeconds(agent.Process.Pid)
	peak = max(peak, status(agent.Process.Pid, "VmHWM"))
	_ = agent.Process.Signal(syscall.SIGTERM)
	_ = agent.Wait()
	return secs, cpu, peak
}

// topicCount is the sum of the topic's end offsets.
func topicCount(cl *kgo.Client, topic string) int64 {
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for p := int32(0); p < 3; p++ {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition, rp.Timestamp = p, -1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return 0
	}
	var n int64
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			n += max(p.Offset, 0)
		}
	}
	return n
}

func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}

func status(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, field+":") {
			n, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return n
		}
	}
	return 0
}

func countLines(path string) int64 {
	f, err := os.Open(path)
	check(err)
	defer f.Close()
	var n int64
	buf := make([]byte, 1<<20)
	for {
		k, err := f.Read(buf)
		for _, c := range buf[:k] {
			if c == '\n' {
				n++
			}
		}
		if err != nil {
			return n
		}
	}
}

func build(pkg, out string) {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Stderr = os.Stderr
	check(cmd.Run())
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "kafkabench:", err)
		os.Exit(1)
	}
}
