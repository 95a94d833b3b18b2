package config

import (
	"fmt"
	"io"
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
