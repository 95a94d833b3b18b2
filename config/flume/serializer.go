package flume

import "strings"

// SerializerSettings are the Flume settings of an event serializer under key ("serializer"
// for the hdfs sink, "sink.serializer" for file_roll). They are collected, and FinishSerializer
// writes them as one `serializer "TYPE" { ... }` block.
func SerializerSettings(key string) []Setting {
	keep := func(name string) func(c *Conv, p Property) {
		return func(c *Conv, p Property) { c.State["ser."+name] = p }
	}
	return []Setting{
		Func(func(c *Conv, p Property) { c.State["ser"] = p }, key),
		Func(keep("append_newline"), key+".appendNewline"),
		Func(keep("compression_codec"), key+".compressionCodec"),
		Func(keep("sync_interval_bytes"), key+".syncIntervalBytes"),
	}
}

// FinishSerializer writes the serializer block of the settings SerializerSettings collected;
// nothing when they are Flume's defaults (text with a newline, flumego's default too).
func FinishSerializer(c *Conv) {
	typ := "text"
	if p, ok := c.State["ser"].(Property); ok {
		switch v, _ := c.Literal(p); strings.ToLower(v) {
		case "text", "org.apache.flume.serialization.bodytexteventserializer$builder":
		case "avro_event", "org.apache.flume.serialization.avroeventserializer$builder", "org.apache.flume.sink.hdfs.avroeventserializer$builder":
			typ = "avro_event"
		default:
			c.Drop(p, "serializer %q has no flumego equivalent (text, avro_event): text is written", p.Value)
		}
	}
	b := NewBlock("serializer", typ)
	for _, s := range []struct {
		name, of string
		kind     Kind
	}{{"append_newline", "text", AsBool}, {"compression_codec", "avro_event", AsString}, {"sync_interval_bytes", "avro_event", AsBytes}} {
		p, ok := c.State["ser."+s.name].(Property)
		switch {
		case !ok:
			continue
		case s.of != typ:
			c.Drop(p, "a setting of the %s serializer, and the serializer is %s: Flume ignores it", s.of, typ)
			continue
		case s.name == "compression_codec":
			v, _ := c.Literal(p)
			if v = strings.ToLower(v); v != "null" && v != "deflate" && v != "snappy" {
				c.Drop(p, "Avro codec %q has no flumego equivalent (null, deflate, snappy): blocks are not compressed", p.Value)
				continue
			}
			b.Set(s.name, String(v))
			continue
		}
		b.Set(s.name, c.Convert(p, s.kind))
	}
	if typ == "text" && len(b.Items) == 0 {
		return
	}
	c.Block.Add(b)
}
