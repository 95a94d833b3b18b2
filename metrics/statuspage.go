package metrics

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"sync"
	"time"
)

// Rates on /status are computed against the previous request's snapshot when it is between
// statusMinInterval and statusMaxInterval old (a page refreshing every few seconds); otherwise
// the request samples twice, statusSample apart.
const (
	statusMinInterval = 500 * time.Millisecond
	statusMaxInterval = time.Minute
	statusSample      = time.Second
	// statusRefresh is how often the page reloads itself, in seconds.
	statusRefresh = 5
)

// statusPage serves /status and /status.json. It remembers the last snapshot it served so a
// refreshing page shows rates over the time between two views without waiting.
type statusPage struct {
	reg    *Registry
	health func() error

	mu   sync.Mutex
	last *Snapshot
}

// status returns the agent's status, sampling twice when no recent snapshot is at hand. It
// returns ctx's error when the request ends while it waits.
func (p *statusPage) status(ctx context.Context) (Status, error) {
	cur := TakeSnapshot(p.reg, p.health)
	p.mu.Lock()
	prev := p.last
	p.mu.Unlock()
	if prev == nil || cur.Time.Sub(prev.Time) < statusMinInterval || cur.Time.Sub(prev.Time) > statusMaxInterval {
		first := cur
		t := time.NewTimer(statusSample)
		select {
		case <-ctx.Done():
			t.Stop()
			return Status{}, ctx.Err()
		case <-t.C:
		}
		cur = TakeSnapshot(p.reg, p.health)
		prev = &first
	}
	p.mu.Lock()
	if p.last == nil || cur.Time.After(p.last.Time) {
		p.last = &cur
	}
	p.mu.Unlock()
	return Compare(*prev, cur), nil
}

func (p *statusPage) serveHTML(w http.ResponseWriter, r *http.Request) {
	st, err := p.status(r.Context())
	if err != nil {
		return // the client went away
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = statusTemplate.Execute(w, struct {
		Status
		Refresh int
	}{st, statusRefresh})
}

func (p *statusPage) serveJSON(w http.ResponseWriter, _ *http.Request) {
	body, err := json.Marshal(TakeSnapshot(p.reg, p.health))
	if err != nil {
		http.Error(w, "metrics: encode status: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

var statusTemplate = template.Must(template.New("status").Funcs(template.FuncMap{
	"rate":   FormatRate,
	"health": Row.HealthWord,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="{{.Refresh}}">
<title>flumego {{.Agent}}{{if .Attention}} – attention{{end}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em; }
table { border-collapse: collapse; }
th, td { padding: 0.3em 0.8em; border-bottom: 1px solid #ddd; text-align: right; }
th.l, td.l { text-align: left; }
tr.attention { background: #fde2e1; }
td.attention { color: #a40000; font-weight: bold; }
.ok { color: #176f2c; }
.bad { color: #a40000; font-weight: bold; }
meter { width: 8em; }
</style>
</head>
<body>
<h1>agent {{.Agent}}</h1>
<p>Health: {{if eq .Health "ok"}}<span class="ok">ok</span>{{else}}<span class="bad">{{.Health}}</span>{{end}}
· events per second over the last {{.Interval.Round 1000000}} · {{.Time.Format "2006-01-02 15:04:05 MST"}}
· this page refreshes every {{.Refresh}} s</p>
<table>
<thead><tr><th class="l">kind</th><th class="l">name</th><th class="l">type</th><th class="l">health</th><th class="l">fill</th><th>in/s</th><th>out/s</th><th>failures</th><th>set aside</th><th class="l">attention</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr{{if .Attention}} class="attention"{{end}}>
<td class="l">{{.Kind}}</td><td class="l">{{.Name}}</td><td class="l">{{or .Type "-"}}</td>
<td class="l{{if eq (health .) "degraded"}} bad{{end}}">{{health .}}</td>
<td class="l">{{if ge .Fill 0.0}}<meter min="0" max="100" high="90" value="{{printf "%.1f" .Fill}}"></meter> {{.FormatFill}}{{else}}-{{end}}</td>
<td>{{rate .In}}</td><td>{{rate .Out}}</td><td>{{.FormatFailures}}</td><td>{{.FormatSetAside}}</td>
<td class="l{{if .Attention}} attention{{end}}">{{.Attention}}</td>
</tr>
{{- end}}
</tbody>
</table>
<p><a href="/metrics">/metrics</a> · <a href="/metrics.json">/metrics.json</a> · <a href="/status.json">/status.json</a> · <a href="/healthz">/healthz</a></p>
</body>
</html>
`))
