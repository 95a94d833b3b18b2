package convert

import "strings"

// serializerSettings are the Flume settings of an event serializer under key ("serializer" for
// the hdfs sink, "sink.serializer" for file_roll). They are collected, and finishSerializer
// writes them as one `serializer "TYPE" { ... }` block.
func serializerSettings(key string) []setting {
	keep := func(name string) func(x *cc, p Property) {
		return func(x *cc, p Property) { x.st["ser."+name] = p }
	}
	return []setting{
		f(func(x *cc, p Property) { x.st["ser"] = p }, key),
		f(keep("append_newline"), key+".appendNewline"),
		f(keep("compression_codec"), key+".compressionCodec"),
		f(keep("sync_interval_bytes"), key+".syncIntervalBytes"),
	}
}

// finishSerializer writes the serializer block of the settings serializerSettings collected;
// nothing when they are Flume's defaults (text with a newline, flumego's default too).
func finishSerializer(x *cc) {
	typ := "text"
	if p, ok := x.st["ser"].(Property); ok {
		switch v, _ := x.literal(p); strings.ToLower(v) {
		case "text", "org.apache.flume.serialization.bodytexteventserializer$builder":
		case "avro_event", "org.apache.flume.serialization.avroeventserializer$builder", "org.apache.flume.sink.hdfs.avroeventserializer$builder":
			typ = "avro_event"
		default:
			x.drop(p, "serializer %q has no flumego equivalent (text, avro_event): text is written", p.Value)
		}
	}
	b := newBlock("serializer", typ)
	for _, s := range []struct {
		name, of string
		kind     convKind
	}{{"append_newline", "text", cBool}, {"compression_codec", "avro_event", cStr}, {"sync_interval_bytes", "avro_event", cBytes}} {
		p, ok := x.st["ser."+s.name].(Property)
		switch {
		case !ok:
			continue
		case s.of != typ:
			x.drop(p, "a setting of the %s serializer, and the serializer is %s: Flume ignores it", s.of, typ)
			continue
		case s.name == "compression_codec":
			v, _ := x.literal(p)
			if v = strings.ToLower(v); v != "null" && v != "deflate" && v != "snappy" {
				x.drop(p, "Avro codec %q has no flumego equivalent (null, deflate, snappy): blocks are not compressed", p.Value)
				continue
			}
			b.set(s.name, str(v))
			continue
		}
		b.set(s.name, x.conv(p, s.kind))
	}
	if typ == "text" && len(b.items) == 0 {
		return
	}
	x.b.add(b)
}
