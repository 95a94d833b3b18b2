package flume

import (
	"strings"
	"testing"
)

func newTestConv(props ...Property) (*Conv, *[]Note) {
	var notes []Note
	c := NewConv("a1", "sources", "r1", 1, props, NewBlock("source", "x", "r1"),
		&Refs{Filters: map[string]string{"f1": "env"}, Props: map[string]string{"a1.dir": "/data"}},
		func(n Note) bool { notes = append(notes, n); return true })
	return c, &notes
}

func TestReferencesInFlumeValues(t *testing.T) {
	for _, tc := range []struct{ value, hcl, note string }{
		{"${env:PORT}", `env("PORT")`, ""},
		{"${f1['PORT']}", `env("PORT")`, ""},
		{"x-${PORT}", `"x-${env("PORT")}"`, "-DpropertiesImplementation=org.apache.flume.node.EnvVarResolverProperties"},
		{"${a1.dir}/in", `"/data/in"`, "names another property of the file"},
		{"${sys:user.home}", `"$${sys:user.home}"`, "kept as literal text"},
		{"%{host}", `"%%{host}"`, ""},
	} {
		c, notes := newTestConv()
		got := c.Tmpl(Property{Key: "k", Value: tc.value, Line: 2}).HCL()
		if got != tc.hcl {
			t.Errorf("%q: HCL %s, want %s", tc.value, got, tc.hcl)
		}
		if tc.note == "" && len(*notes) > 0 || tc.note != "" && (len(*notes) != 1 || !strings.Contains((*notes)[0].Reason, tc.note)) {
			t.Errorf("%q: notes %v, want one saying %q", tc.value, *notes, tc.note)
		}
	}
}

func TestAValueFlumeCannotReadAsANumber(t *testing.T) {
	m := &Mapping{Flume: "test source", Settings: []Setting{
		Map("port", AsInt, "port"),
		{Keys: []string{"capacity"}, Attr: "capacity", Kind: AsInt, Lenient: Int(100)},
	}}
	c, _ := newTestConv(Property{Key: "capacity", Value: "10 # events", Line: 3})
	c.Apply(m, nil)
	if a := c.Block.Attr("capacity"); a == nil || a.Val.HCL() != "100" || c.Rejected != nil {
		t.Errorf("lenient setting: %+v, rejected %v", a, c.Rejected)
	}
	c, _ = newTestConv(Property{Key: "port", Value: "44444 # port", Line: 4})
	c.Apply(m, nil)
	if c.Rejected == nil || !strings.Contains(c.Rejected.Reason, "removes it at start-up") || !strings.Contains(c.Rejected.Reason, `"# port" is part of it`) {
		t.Errorf("want the component rejected as Flume does, got %v", c.Rejected)
	}
}

func TestNewerNamesWinAndDefaultsFillTheRest(t *testing.T) {
	m := &Mapping{Flume: "test sink", Settings: []Setting{Map("batch_size", AsInt, "flumeBatchSize", "batchSize")},
		Defaults: []Default{{Attr: "batch_size", Value: Int(100)}, {Attr: "acks", Value: String("1")}}}
	c, notes := newTestConv(Property{Key: "batchSize", Value: "5", Line: 2}, Property{Key: "flumeBatchSize", Value: "7", Line: 3}, Property{Key: "colour", Value: "blue", Line: 4})
	c.Apply(m, nil)
	if a := c.Block.Attr("batch_size"); a == nil || a.Val.HCL() != "7" || a.Comment != "" {
		t.Errorf("batch_size = %+v, want 7 from the newer name", a)
	}
	if a := c.Block.Attr("acks"); a == nil || a.Comment != "Flume's default" {
		t.Errorf("acks = %+v, want Flume's default written", a)
	}
	var reasons []string
	for _, n := range *notes {
		reasons = append(reasons, n.Key+": "+n.Reason)
	}
	got := strings.Join(reasons, "\n")
	if !strings.Contains(got, "a1.sources.r1.batchSize: a1.sources.r1.flumeBatchSize is set too and takes precedence") ||
		!strings.Contains(got, "a1.sources.r1.colour: not a setting of Flume's test sink, so Flume ignores it too") {
		t.Errorf("notes:\n%s", got)
	}
}
