package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kafkaBench runs taildir → channel → Kafka through the agent, and kcat -P as the limit,
// against a kfake broker in its own process (./internal/kafkatest/cmd/kfake) with a
// 3-partition topic on loopback: a fresh broker for every run. Both flumego and kcat wait for
// every record to be acknowledged by all in-sync replicas (acks = all). MiB/s are of the log.
type kafkaBench struct {
	agent, tmp string
	blackhole  bool
	kfake      string // built on first use
}

const topic = "app-logs"

func kafkaFlowName(ch, codec, ser string) string {
	if ser != "text" {
		codec += ", " + ser
	}
	return "taildir → " + ch + " → kafka (" + codec + ")"
}

func kcatName(codec string) string { return "limit: kcat -P (" + codec + ")" }

// scenarios are kcat for each compression, then every flow whose example exists:
// examples/bench/kafka-CHANNEL.hcl for the text serializer, and for the others
// examples/taildir-CHANNEL-kafka-SERIALIZER.hcl.
func (k *kafkaBench) scenarios(channels, codecs, serializers []string) []scenario {
	var out []scenario
	for _, codec := range codecs {
		out = append(out, scenario{name: kcatName(codec), run: func() result { return k.kcat(codec) }})
	}
	for _, ch := range channels {
		for _, codec := range codecs {
			for _, ser := range serializers {
				cfg := "examples/bench/kafka-" + ch + ".hcl"
				if ser != "text" {
					cfg = "examples/taildir-" + ch + "-kafka-" + ser + ".hcl"
				}
				if _, err := os.Stat(cfg); err != nil {
					continue // no such flow
				}
				out = append(out, scenario{kafkaFlowName(ch, codec, ser), kcatName(codec), func() result {
					return k.flow(cfg, codec)
				}})
			}
		}
	}
	return out
}

// aims are, per compression, the file channel against the memory channel and the memory
// channel against kcat.
func (k *kafkaBench) aims(codecs []string) []aim {
	var out []aim
	for _, c := range codecs {
		out = append(out, aim{"file channel / memory channel, taildir → kafka (" + c + ")",
			kafkaFlowName("file", c, "text"), kafkaFlowName("memory", c, "text"), 0.5})
	}
	for _, c := range codecs {
		out = append(out, aim{"taildir → memory → kafka / kcat -P (" + c + ")",
			kafkaFlowName("memory", c, "text"), kcatName(c), 1.0})
	}
	return out
}

func (k *kafkaBench) flow(cfg, codec string) result {
	ensureAccessLog()
	lines, size := countLines(accessLog)
	dir, err := os.MkdirTemp(k.tmp, "kafka-")
	check(err)
	defer os.RemoveAll(dir)
	logs := filepath.Join(dir, "logs")
	check(os.MkdirAll(logs, 0o755))
	if os.Link(accessLog, filepath.Join(logs, "access.log")) != nil {
		copyFile(accessLog, filepath.Join(logs, "access.log"))
	}
	b := k.broker()
	defer b.stop()
	t0 := time.Now()
	p := start(k.agent, cfg,
		"FLUMEGO_POSITION_FILE="+filepath.Join(dir, "pos.json"),
		"FLUMEGO_TAIL_PATH="+filepath.Join(logs, "*.log"),
		"FLUMEGO_CHANNEL_DIR="+filepath.Join(dir, "channel"),
		"FLUMEGO_DATA="+filepath.Join(dir, "data"),
		"FLUMEGO_MIN_SPACE=1MiB",
		"FLUMEGO_KAFKA_BROKERS="+b.addr,
		"FLUMEGO_KAFKA_ACKS=all",
		"FLUMEGO_KAFKA_COMPRESSION="+codec)
	end := p.waitFor(20*time.Millisecond, func() bool { return b.count() >= lines })
	r := p.stop()
	r.events, r.bytes, r.seconds = lines, size, end.Sub(t0).Seconds()
	return r
}

// kcat produces the log with librdkafka, one record per line, at its defaults but for the
// compression and acks = all, and is timed until every record is in the topic.
func (k *kafkaBench) kcat(codec string) result {
	ensureAccessLog()
	lines, size := countLines(accessLog)
	if _, err := exec.LookPath("kcat"); err != nil {
		fmt.Fprintln(os.Stderr, "flowbench: kcat is not installed (Debian package kcat): no kcat limit")
		return result{}
	}
	b := k.broker()
	defer b.stop()
	cmd := exec.Command("kcat", "-P", "-b", b.addr, "-t", topic, "-X", "acks=all", "-X", "compression.codec="+codec,
		"-l", accessLog)
	cmd.Stderr = os.Stderr
	t0 := time.Now()
	check(cmd.Run())
	for b.count() < lines {
		if time.Since(t0) > 15*time.Minute {
			panic("kcat: timed out waiting for the records")
		}
		time.Sleep(20 * time.Millisecond)
	}
	r := usageOf(cmd.ProcessState)
	r.events, r.bytes, r.seconds = lines, size, time.Since(t0).Seconds()
	return r
}

type broker struct {
	cmd  *exec.Cmd
	addr string
	cl   *kgo.Client
}

func (k *kafkaBench) broker() *broker {
	if k.kfake == "" {
		k.kfake = filepath.Join(k.tmp, "kfake")
		build("./internal/kafkatest/cmd/kfake", k.kfake)
	}
	args := []string{"-topic", topic + ":3"}
	if k.blackhole {
		args = append(args, "-blackhole")
	}
	cmd := exec.Command(k.kfake, args...)
	out, err := cmd.StdoutPipe()
	check(err)
	cmd.Stderr = os.Stderr
	check(cmd.Start())
	first, err := bufio.NewReader(out).ReadString('\n')
	check(err)
	go func() { _, _ = io.Copy(io.Discard, out) }()
	b := &broker{cmd: cmd, addr: strings.TrimSpace(strings.TrimPrefix(first, "listening on "))}
	b.cl, err = kgo.NewClient(kgo.SeedBrokers(b.addr))
	check(err)
	return b
}

func (b *broker) stop() {
	b.cl.Close()
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	_ = b.cmd.Wait()
}

// count is the sum of the topic's end offsets.
func (b *broker) count() int64 {
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
	resp, err := req.RequestWith(ctx, b.cl)
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
