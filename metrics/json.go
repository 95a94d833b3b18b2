package metrics

import (
	"math"
	"strconv"
	"strings"
)

// FlumeJSON returns reg's values in the shape of Flume's JSON reporting
// (/metrics.json): one object per component keyed "KIND.name" ("CHANNEL.c1"), holding every
// value by its Flume name as a string, "Type" (the kind, as Flume writes it), and "StartTime"
// and "StopTime" in Unix milliseconds ("0" when not set). Derived values such as
// ChannelFillPercentage are formatted as Java prints a double ("0.0", "12.5").
func FlumeJSON(reg *Registry) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, c := range reg.Components() {
		m := map[string]string{}
		for _, v := range c.Values() {
			m[v.Name()] = strconv.FormatInt(v.Load(), 10)
		}
		for _, d := range c.DerivedValues() {
			m[d.Name] = javaDouble(d.Fn())
		}
		m["Type"] = string(c.Kind)
		m["StartTime"] = strconv.FormatInt(c.StartTime(), 10)
		m["StopTime"] = strconv.FormatInt(c.StopTime(), 10)
		out[string(c.Kind)+"."+c.Name] = m
	}
	return out
}

// javaDouble formats f as Java's Double.toString does, so dashboards that parse Flume's JSON
// read ours unchanged: plain decimals with at least one fractional digit between 10^-3 and
// 10^7, "1.0E7"-style scientific notation outside it.
func javaDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	// Go writes "1.5E+07" or "1E-05"; Java writes "1.5E7" and "1.0E-5".
	s := strconv.FormatFloat(f, 'E', -1, 64)
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	neg := strings.HasPrefix(exp, "-")
	exp = strings.TrimLeft(exp, "+-")
	exp = strings.TrimLeft(exp, "0")
	if neg {
		exp = "-" + exp
	}
	return mant + "E" + exp
}
