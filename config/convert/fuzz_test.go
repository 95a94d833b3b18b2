package convert_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/flumego/flumego/components"
	"github.com/flumego/flumego/config/convert"
)

// FuzzConvert feeds arbitrary files to the converter: it must never panic, and whatever it
// converts must be syntactically valid HCL (validity against the components is the golden
// tests' job, since a broken Flume file converts into a file validate rejects).
func FuzzConvert(f *testing.F) {
	confs, _ := filepath.Glob("testdata/*.conf")
	for _, c := range confs {
		b, _ := os.ReadFile(c)
		f.Add(b)
	}
	f.Add([]byte("a1.sources = r1\na1.sources.r1.type = TAILDIR\na1.sources.r1.filegroups = f\na1.sources.r1.filegroups.f = /x/[\na1.sources.r1.channels = c\n"))
	f.Add([]byte("a1.sinks = k\na1.sinks.k.type = hdfs\na1.sinks.k.hdfs.path = /%[x\na1.sinks.k.hdfs.filePrefix = %{${env:X}\"\\\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		res, err := convert.Convert(src, convert.Options{Components: components.Builtin()})
		if err != nil {
			return
		}
		if _, diags := hclsyntax.ParseConfig(res.HCL, "fuzz.hcl", hcl.InitialPos); diags.HasErrors() {
			t.Fatalf("converted HCL does not parse: %v\n%s", diags, res.HCL)
		}
	})
}

// FuzzConvertFilebeat feeds arbitrary YAML to the Filebeat converter: it must never panic,
// and whatever it converts must be syntactically valid HCL.
func FuzzConvertFilebeat(f *testing.F) {
	ymls, _ := filepath.Glob("testdata/filebeat/*.yml")
	for _, c := range ymls {
		b, _ := os.ReadFile(c)
		f.Add(b)
	}
	f.Add([]byte("filebeat.inputs: [1, {type: log, paths: 3, processors: [{drop_fields: x}, {dissect: {tokenizer: '%{a'}}, {drop_event: {when: {or: 5}}}]}]\noutput: {kafka: [], file: {path: [x]}}\n"))
	f.Add([]byte("a: &x {b: 1}\nc: *x\n<<: *x\nfilebeat.inputs: {type: log}\n"))
	comps := components.Builtin()
	f.Fuzz(func(t *testing.T, src []byte) {
		res, err := convert.ConvertFilebeat(src, convert.Options{Components: comps})
		if res == nil {
			return
		}
		_ = err
		if _, diags := hclsyntax.ParseConfig(res.HCL, "fuzz.hcl", hcl.InitialPos); diags.HasErrors() {
			t.Fatalf("converted HCL does not parse: %v\n%s", diags, res.HCL)
		}
	})
}
