package ganglia

import (
	"encoding/binary"
	"strconv"
)

// Message ids of gmond's 3.1 wire format (Ganglia_msg_formats in gmond's lib/protocol.x).
const (
	idMetadataFull = 128 // gmetadata_full: a metric's description
	idValueString  = 133 // gmetric_string: a value sent as text with a printf format
	// id30Gmetric is the 3.0 format's message id (metric_user_defined, a gmetric message).
	id30Gmetric = 0
)

// Fixed fields of every message, as Flume's GangliaServer sends them.
const (
	units = ""
	// slopeBoth (3) is what Flume sends for every value: gmetad then stores the raw number
	// (a GAUGE data source), so charts show counts, as Flume users know them.
	slopeBoth = 3
	// dmax 0: gmond never deletes the metric when it stops being sent.
	dmax = 0
	// group is the GROUP extra data element of every 3.1 metadata message.
	group = "flume"
)

// maxPacket is the largest datagram gmond reads (max_udp_msg_len in gmond.conf: 1472, the
// Ethernet MTU less the IP and UDP headers). A longer one would be cut short or dropped.
const maxPacket = 1472

// metric is one value to report: its Ganglia name, its text and its Ganglia type.
type metric struct {
	name  string // "flume.CHANNEL.c1.EventPutSuccessCount"
	value string // "42"
	typ   string // "double" or "string"
}

// typeOf is the Ganglia type of a value: "double" when it reads as a number, as Flume's
// Float.parseFloat test does, "string" otherwise ("Type": "CHANNEL"). Flume writes "float";
// "double" keeps counters above 2^24 exact for every Ganglia consumer that honours the type.
func typeOf(value string) string {
	if _, err := strconv.ParseFloat(value, 64); err == nil {
		return "double"
	}
	return "string"
}

// appendMetadata31 appends a 3.1 gmetadata_full message for m: the metric id (host, name,
// spoof false), then type, name, units, slope, tmax, dmax and one extra data element,
// GROUP = "flume".
func appendMetadata31(b []byte, host string, m metric, tmax uint32) []byte {
	b = xdrUint(b, idMetadataFull)
	b = xdrString(b, host)
	b = xdrString(b, m.name)
	b = xdrUint(b, 0) // spoof = false: gmond names the host after the packet's source address
	b = xdrString(b, m.typ)
	b = xdrString(b, m.name)
	b = xdrString(b, units)
	b = xdrUint(b, slopeBoth)
	b = xdrUint(b, tmax)
	b = xdrUint(b, dmax)
	b = xdrUint(b, 1) // one extra data element
	b = xdrString(b, "GROUP")
	b = xdrString(b, group)
	return b
}

// appendValue31 appends a 3.1 gmetric_string message carrying m's value as text with the
// format "%s", so gmond shows it exactly as the agent counted it.
func appendValue31(b []byte, host string, m metric) []byte {
	b = xdrUint(b, idValueString)
	b = xdrString(b, host)
	b = xdrString(b, m.name)
	b = xdrUint(b, 0) // spoof = false
	b = xdrString(b, "%s")
	b = xdrString(b, m.value)
	return b
}

// appendMessage30 appends a Ganglia 3.0 gmetric message: id 0, then type, name, value,
// units, slope, tmax and dmax in one message. As in Flume, the name is prefixed with the
// reporting host's name ("web1.flume.CHANNEL.c1.ChannelSize"), since the 3.0 format carries
// no host of its own.
func appendMessage30(b []byte, host string, m metric, tmax uint32) []byte {
	b = xdrUint(b, id30Gmetric)
	b = xdrString(b, m.typ)
	b = xdrString(b, host+"."+m.name)
	b = xdrString(b, m.value)
	b = xdrString(b, units)
	b = xdrUint(b, slopeBoth)
	b = xdrUint(b, tmax)
	b = xdrUint(b, dmax)
	return b
}

// xdrUint appends an XDR unsigned int: 4 bytes, big-endian.
func xdrUint(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

// xdrString appends an XDR string: its length, its bytes, then zero padding to a multiple of
// four bytes.
func xdrString(b []byte, s string) []byte {
	b = xdrUint(b, uint32(len(s)))
	b = append(b, s...)
	var zeros [3]byte
	return append(b, zeros[:(4-len(s)%4)%4]...)
}
