package serializer

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/flumego/flumego/internal/fsync"
)

// The filebeat preset reproduces Filebeat 7.17's JSON codec, the documents a Logstash
// `kafka { codec => json }` input receives from Filebeat:
//
//	@timestamp     the "timestamp" header (epoch ms), else the time of serializing; UTC, ms, Z
//	@metadata      {beat, type, version}: "filebeat", "_doc", "7.17.29" unless configured
//	message        the body (or, merged at the root, the names of a JSON body)
//	log.file.path  \
//	log.offset      > headers of those names (taildir's ecs_headers); the offset a number,
//	log.flags      /  the flags a list (["multiline"])
//	input.type     the header of that name, else "log"
//	tags           the header of that name, a comma-separated list written as an array
//	fields.*       headers named fields.NAME (Filebeat's fields); other headers at the root
//	               (fields_under_root)
//	agent          {type, version, hostname, name, id, ephemeral_id}
//	ecs.version    "1.12.0"
//	host.name      the name setting, else the host name
//
// Headers win over the preset's own fields of the same name, as Filebeat's custom fields do.

// filebeatTypes are the preset's field types.
var filebeatTypes = map[string]string{"log.offset": TypeNumber, "log.flags": TypeList, "tags": TypeList}

// Filebeat 7.17.29's own values.
const (
	filebeatBeat    = "filebeat"
	filebeatVersion = "7.17.29"
	filebeatDocType = "_doc"
	filebeatECS     = "1.12.0"
)

// filebeat sets up the preset's fields: @metadata before the headers, the rest after them as
// defaults the headers override.
func (s *jsonSer) filebeat(cfg *JSONConfig, set Settings) error {
	or := func(v, def string) string {
		if v != "" {
			return v
		}
		return def
	}
	hostname, err := os.Hostname()
	if err != nil || hostname == "" {
		hostname = "localhost"
	}
	id := cfg.AgentID
	if id == "" {
		if id, err = agentID(set.DataDir); err != nil {
			return fmt.Errorf("preset %q: agent.id: %w", PresetFilebeat, err)
		}
	}
	beat, version, name := or(cfg.Beat, filebeatBeat), or(cfg.BeatVersion, filebeatVersion), or(cfg.Name, hostname)
	t := &s.tmpl
	add := func(parent int32, path, v string) {
		t.put(parent, path, true, t.newNode("", kString, v))
	}
	s.front = t.newNode("", kObject, "")
	add(s.front, "@metadata.beat", beat)
	add(s.front, "@metadata.type", or(cfg.DocumentType, filebeatDocType))
	add(s.front, "@metadata.version", version)
	s.back = t.newNode("", kObject, "")
	add(s.back, "agent.type", beat)
	add(s.back, "agent.version", version)
	add(s.back, "agent.hostname", hostname)
	add(s.back, "agent.name", name)
	add(s.back, "agent.id", id)
	add(s.back, "agent.ephemeral_id", ephemeralID())
	add(s.back, "ecs.version", or(cfg.ECSVersion, filebeatECS))
	add(s.back, "host.name", name)
	add(s.back, "input.type", "log")
	t.render(s.front)
	t.render(s.back)
	return nil
}

// render stores the JSON of every object under node i in its val, so that mergeTemplate can add
// an object an event does not have as one piece of text.
func (d *doc) render(i int32) {
	for c := d.nodes[i].first; c != none; c = d.nodes[c].next {
		if d.nodes[c].kind == kObject {
			d.render(c)
			d.nodes[c].val = string(d.appendTo(nil, c, &clock{}, nil))
		}
	}
}

func nowMillis() int64 { return time.Now().UnixMilli() }

// ephemeralID is agent.ephemeral_id: one per process, as Filebeat's, whatever the number of
// sinks and reloads. It is made on first use and never changes, a constant of the process.
var ephemeralID = sync.OnceValue(newUUID)

// agentIDFile holds agent.id under the agent's data directory.
const agentIDFile = "agent.id"

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// agentID returns the install's id, kept in dataDir: read when the file is there, else made
// and written once. Two sinks making it at the same moment agree: the file is linked into
// place, which fails for the second, which then reads the first's.
func agentID(dataDir string) (string, error) {
	if dataDir == "" {
		return "", errors.New("the agent has no data_dir to keep it in: set data_dir, or agent_id")
	}
	p := filepath.Join(dataDir, agentIDFile)
	if id, err := readAgentID(p); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return id, err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dataDir, "."+agentIDFile+"-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	id := newUUID()
	_, err = tmp.WriteString(id + "\n")
	if err == nil {
		err = fsync.Data(tmp)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	if err := os.Link(tmp.Name(), p); errors.Is(err, fs.ErrExist) {
		return readAgentID(p)
	} else if err != nil {
		return "", err
	}
	return id, fsync.Dir(dataDir)
}

func readAgentID(p string) (string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	id := strings.TrimSpace(string(b))
	if !uuidPattern.MatchString(id) {
		return "", fmt.Errorf("%s holds %q, not a UUID: remove it to make a new one", p, id)
	}
	return id, nil
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand crashes the program instead)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
