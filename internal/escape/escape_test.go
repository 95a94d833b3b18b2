package escape

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestExpand(t *testing.T) {
	// 2024-03-05 07:08:09.123 UTC, a Tuesday, day 65 of a leap year.
	const ms = 1709622489123
	host := &Host{Name: "web1", IP: "10.0.0.7", FQDN: "web1.example.com"}
	h := map[string]string{"topic": "app", "dc.name": "eu-1"}
	tests := []struct{ in, want string }{
		{"/flume/%Y%m%d%H", "/flume/2024030507"},
		{"%a %A %b %B", "Tue Tuesday Mar March"},
		{"%c", "Tue Mar 5 07:08:09 2024"},
		{"%d|%e|%D|%j", "05|5|03/05/24|065"},
		{"%H|%I|%k|%l|%M|%S|%p", "07|07|7|7|08|09|AM"},
		{"%m|%n|%y|%Y|%z", "03|3|24|2024|+0000"},
		{"%s|%t", "1709622489|1709622489123"},
		{"%{topic}/%{dc.name}/%{missing}x", "app/eu-1/x"},
		{"%[localhost]-%[IP]-%[FQDN]-%[LocalHost]", "web1-10.0.0.7-web1.example.com-web1"},
		{"100%% %{bad name} %[x y] %{} %- %", "100% %{bad name} %[x y] %{} %- %"},
	}
	st := NewStamper(time.UTC, "", 0).Stamp(ms)
	for _, tt := range tests {
		tpl, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if got := string(tpl.Append(nil, h, st, host)); got != tt.want {
			t.Errorf("%q → %q, want %q", tt.in, got, tt.want)
		}
		if re := regexp.MustCompile("^" + tpl.Regexp(host) + "$"); !re.MatchString(tt.want) {
			t.Errorf("%q: Regexp %s does not match its expansion %q", tt.in, re, tt.want)
		}
	}
}

func TestParseRejectsUnknownEscapes(t *testing.T) {
	_, err := Parse("/x/%Q/%[hostname]/%Y/%w")
	if err == nil {
		t.Fatal("Parse accepted unknown escapes")
	}
	for _, want := range []string{"%Q", "%[hostname]", "%w"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestUses(t *testing.T) {
	tests := []struct {
		in                           string
		time, host, headers, literal bool
		prefix                       string
	}{
		{"/data/logs", false, false, false, true, "/data/logs"},
		{"/data/%Y/x", true, false, false, false, "/data/"},
		{"/data/%{h}", false, false, true, false, "/data/"},
		{"%[IP]/x", false, true, false, false, ""},
	}
	for _, tt := range tests {
		tpl := MustParse(tt.in)
		if tpl.UsesTime() != tt.time || tpl.UsesHost() != tt.host || tpl.UsesHeaders() != tt.headers ||
			tpl.IsLiteral() != tt.literal || tpl.LiteralPrefix() != tt.prefix {
			t.Errorf("%q: time %v host %v headers %v literal %v prefix %q", tt.in,
				tpl.UsesTime(), tpl.UsesHost(), tpl.UsesHeaders(), tpl.IsLiteral(), tpl.LiteralPrefix())
		}
	}
}

func TestRounding(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	// 2024-03-05 23:47:38.900 UTC = 2024-03-06 07:47:38.900 in Shanghai.
	ms := time.Date(2024, 3, 5, 23, 47, 38, 900e6, time.UTC).UnixMilli()
	tests := []struct {
		loc   *time.Location
		unit  Unit
		value int
		want  string
	}{
		{time.UTC, "", 0, "20240305 23:47:38"},
		{time.UTC, Second, 15, "20240305 23:47:30"},
		{time.UTC, Minute, 10, "20240305 23:40:00"},
		{time.UTC, Minute, 1, "20240305 23:47:00"},
		{time.UTC, Hour, 1, "20240305 23:00:00"},
		{time.UTC, Hour, 6, "20240305 18:00:00"},
		{shanghai, Hour, 1, "20240306 07:00:00"},
		{shanghai, Hour, 12, "20240306 00:00:00"},
	}
	tpl := MustParse("%Y%m%d %H:%M:%S")
	for _, tt := range tests {
		st := NewStamper(tt.loc, tt.unit, tt.value).Stamp(ms)
		if got := string(tpl.Append(nil, nil, st, nil)); got != tt.want {
			t.Errorf("%v %s %d: %q, want %q", tt.loc, tt.unit, tt.value, got, tt.want)
		}
		if st.Millis != ms {
			t.Errorf("Millis %d, want the unrounded %d", st.Millis, ms)
		}
	}
	if got := string(MustParse("%z").Append(nil, nil, NewStamper(shanghai, "", 0).Stamp(ms), nil)); got != "+0800" {
		t.Errorf("%%z in Shanghai = %q", got)
	}
}

func TestStamperCacheFollowsTheSecond(t *testing.T) {
	s := NewStamper(time.UTC, "", 0)
	tpl := MustParse("%S.%t")
	var got []string
	for _, ms := range []int64{1000, 1999, 2000, 2000, 59_999} {
		got = append(got, string(tpl.Append(nil, nil, s.Stamp(ms), nil)))
	}
	want := "01.1000 01.1999 02.2000 02.2000 59.59999"
	if strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
}

func TestLocalHostIsNeverEmpty(t *testing.T) {
	h := LocalHost(context.Background())
	if h.Name == "" || h.IP == "" || h.FQDN == "" {
		t.Errorf("LocalHost = %+v", h)
	}
}

func BenchmarkExpandHourlyPath(b *testing.B) {
	tpl := MustParse("/flume2/%Y%m%d%H/%{topic}")
	s := NewStamper(time.UTC, Hour, 1)
	h := map[string]string{"topic": "app"}
	buf := make([]byte, 0, 64)
	ms := int64(1709622489123)
	b.ReportAllocs()
	for b.Loop() {
		ms++
		buf = tpl.Append(buf[:0], h, s.Stamp(ms), nil)
	}
}
