package interceptor

import (
	"slices"
	"strings"

	"github.com/flumego/flumego/config/flume"
)

// The Flume interceptors these convert from: each by its type name and its class name (with
// or without $Builder, as Flume accepts both).

func builder(name, class string) []string { return []string{name, class + "$Builder", class} }

var (
	flumeTimestamp = &flume.Mapping{
		Flume:    "timestamp interceptor",
		Aliases:  builder("timestamp", "org.apache.flume.interceptor.TimestampInterceptor"),
		Settings: []flume.Setting{flume.Map("header_name", flume.AsString, "headerName"), flume.Map("preserve_existing", flume.AsBool, "preserveExisting")},
	}
	flumeHost = &flume.Mapping{
		Flume:   "host interceptor",
		Aliases: builder("host", "org.apache.flume.interceptor.HostInterceptor"),
		Settings: []flume.Setting{
			flume.Map("preserve_existing", flume.AsBool, "preserveExisting"), flume.Map("use_ip", flume.AsBool, "useIP"),
			flume.Map("host_header", flume.AsString, "hostHeader"),
		},
	}
	flumeStatic = &flume.Mapping{
		Flume:   "static interceptor",
		Aliases: builder("static", "org.apache.flume.interceptor.StaticInterceptor"),
		Settings: []flume.Setting{
			flume.Map("preserve_existing", flume.AsBool, "preserveExisting"), flume.Map("key", flume.AsString, "key"),
			flume.Map("value", flume.AsString, "value"),
		},
	}
	flumeRemoveHeader = &flume.Mapping{
		Flume:   "remove_header interceptor",
		Aliases: builder("remove_header", "org.apache.flume.interceptor.RemoveHeaderInterceptor"),
		Settings: []flume.Setting{
			flume.Map("with_name", flume.AsString, "withName"), flume.Map("from_list", flume.AsString, "fromList"),
			flume.Func(flume.Regex("from_list_separator"), "fromListSeparator"), flume.Func(flume.Regex("matching"), "matching"),
		},
	}
	flumeUUID = &flume.Mapping{
		Flume:   "UUID interceptor",
		Aliases: builder("uuid", "org.apache.flume.sink.solr.morphline.UUIDInterceptor"),
		Settings: []flume.Setting{
			flume.Map("header_name", flume.AsString, "headerName"), flume.Map("preserve_existing", flume.AsBool, "preserveExisting"),
			flume.Map("prefix", flume.AsString, "prefix"),
		},
	}
	flumeSearchReplace = &flume.Mapping{
		Flume:   "search_replace interceptor",
		Aliases: builder("search_replace", "org.apache.flume.interceptor.SearchAndReplaceInterceptor"),
		Settings: []flume.Setting{
			flume.Func(flume.Regex("search_pattern"), "searchPattern"), flume.Map("replace_string", flume.AsString, "replaceString"),
			flume.Func(flume.UTF8Only, "charset"),
		},
	}
	flumeRegexFilter = &flume.Mapping{
		Flume:    "regex_filter interceptor",
		Aliases:  builder("regex_filter", "org.apache.flume.interceptor.RegexFilteringInterceptor"),
		Settings: []flume.Setting{flume.Func(flume.Regex("regex"), "regex"), flume.Map("exclude_events", flume.AsBool, "excludeEvents")},
	}
	flumeRegexExtractor = &flume.Mapping{
		Flume:    "regex_extractor interceptor",
		Aliases:  builder("regex_extractor", "org.apache.flume.interceptor.RegexExtractorInterceptor"),
		Settings: []flume.Setting{flume.Func(flume.Regex("regex"), "regex"), flume.Func(func(c *flume.Conv, p flume.Property) { c.State["serializers"] = p }, "serializers")},
		Prefixes: []flume.Prefix{{Prefix: "serializers.", Fn: func(*flume.Conv, flume.Property) {}}}, // read by finishExtractor
		Finish:   finishExtractor,
	}
)

// finishExtractor writes one serializer block per Flume serializer, in the listed order.
func finishExtractor(c *flume.Conv) {
	list, _ := c.State["serializers"].(flume.Property)
	ids := strings.Fields(list.Value)
	props := map[string]flume.Property{}
	for _, p := range c.Props {
		rest, ok := strings.CutPrefix(p.Key, "serializers.")
		if !ok {
			continue
		}
		id, attr, _ := strings.Cut(rest, ".")
		switch {
		case !slices.Contains(ids, id):
			c.Drop(p, "serializer %q is not listed in serializers: Flume ignores it", id)
		case attr != "name" && attr != "type" && attr != "pattern":
			c.Unknown(p)
		default:
			props[rest] = p
		}
	}
	for _, id := range ids {
		b := flume.NewBlock("serializer", id)
		name, ok := props[id+".name"]
		if !ok {
			c.Reject(list, "serializer %q has no serializers.%s.name", id, id)
			return
		}
		b.Set("name", c.Tmpl(name))
		if t, ok := props[id+".type"]; ok {
			switch v, _ := c.Literal(t); strings.TrimPrefix(v, "org.apache.flume.interceptor.") {
			case "default", "", "RegexExtractorInterceptorPassThroughSerializer":
			case "RegexExtractorInterceptorMillisSerializer":
				b.Set("type", flume.String("millis"))
			default:
				c.Drop(t, "serializer class %q cannot run in flumego (passthrough or millis): the group's text is used", v)
			}
		}
		if pat, ok := props[id+".pattern"]; ok {
			b.Set("pattern", c.Tmpl(pat))
		}
		c.Block.Add(b)
	}
}
