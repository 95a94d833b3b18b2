package config

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// WriteDiagnostics prints one line per diagnostic in the form
// `flume.hcl:12:3: error: source "netcat" "r1": port: must be 1-65535, got 70000`, followed,
// when the detail adds something, by an indented detail line. Editors and CI annotate
// file:line:col lines directly.
func WriteDiagnostics(w io.Writer, diags hcl.Diagnostics) {
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		pos := ""
		if d.Subject != nil {
			pos = fmt.Sprintf("%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
		}
		fmt.Fprintf(w, "%s%s: %s\n", pos, sev, d.Summary)
		if detail := strings.TrimSpace(d.Detail); detail != "" && !strings.Contains(d.Summary, detail) {
			fmt.Fprintf(w, "    %s\n", detail)
		}
	}
}

// Errors counts the error diagnostics (warnings do not stop an agent).
func Errors(diags hcl.Diagnostics) int {
	n := 0
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			n++
		}
	}
	return n
}

// flumeKey matches a Flume agent key line: a1.sources = r1, a1.sinks.k1.type = hdfs.
var flumeKey = regexp.MustCompile(`(?m)^[ \t]*[\w-]+\.(sources|channels|sinks|sinkgroups)(\.[^\s=:]+)?[ \t]*[=: \t]`)

// flumePropertiesHint answers a Flume .properties file given where HCL is expected with the
// command that converts it, instead of HCL's parse errors.
func flumePropertiesHint(filename string, src []byte) *hcl.Diagnostic {
	if len(flumeKey.FindAllIndex(src, 3)) < 2 {
		return nil
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError,
		Summary: fmt.Sprintf("%s is an Apache Flume properties file (a1.sources = ...), not flumego HCL: convert it with `agent convert %s > flume.hcl`, then run the result", filename, filename)}
}

// hintEscapes adds to HCL's "Invalid template control keyword" — what Flume's %{header} escape
// gives in an HCL string — how to write it.
func hintEscapes(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, d := range diags {
		if d.Summary == "Invalid template control keyword" {
			d.Detail = strings.TrimSpace(d.Detail + " In flumego HCL, Flume's header escape %{NAME} is written %%{NAME}: a single %{ starts an HCL template directive.")
		}
	}
	return diags
}
