package taildir

import (
	"path/filepath"
	"strings"
)

// The Kubernetes headers, named as OpenTelemetry's resource attributes.
const (
	HeaderPodName       = "k8s.pod.name"
	HeaderNamespace     = "k8s.namespace.name"
	HeaderContainerName = "k8s.container.name"
	HeaderContainerID   = "container.id"
	HeaderPodUID        = "k8s.pod.uid"
	// HeaderStream is "stdout" or "stderr", from a container log format.
	HeaderStream = "stream"
)

// kubernetesNames reads what kubelet writes into log file names, from the path as matched
// and from the file it links to:
//
//	/var/log/containers/<pod>_<namespace>_<container>-<container id>.log
//	/var/log/pods/<namespace>_<pod>_<pod uid>/<container>/<restart count>.log
//
// A path in neither shape adds nothing.
func kubernetesNames(paths ...string) map[string]string {
	h := map[string]string{}
	for _, p := range paths {
		if p == "" {
			continue
		}
		dir, base := filepath.Split(p)
		name, ok := strings.CutSuffix(base, ".log")
		if !ok {
			continue
		}
		// /var/log/containers/<pod>_<namespace>_<container>-<id>.log
		if parts := strings.Split(name, "_"); len(parts) == 3 {
			if i := strings.LastIndexByte(parts[2], '-'); i > 0 && isHex(parts[2][i+1:]) {
				h[HeaderPodName], h[HeaderNamespace] = parts[0], parts[1]
				h[HeaderContainerName], h[HeaderContainerID] = parts[2][:i], parts[2][i+1:]
				continue
			}
		}
		// /var/log/pods/<namespace>_<pod>_<uid>/<container>/<N>.log
		if !isDigits(name) {
			continue
		}
		container := filepath.Base(dir)
		parts := strings.Split(filepath.Base(filepath.Dir(filepath.Clean(dir))), "_")
		if len(parts) != 3 || container == "." || container == string(filepath.Separator) {
			continue
		}
		h[HeaderNamespace], h[HeaderPodName], h[HeaderPodUID] = parts[0], parts[1], parts[2]
		h[HeaderContainerName] = container
	}
	return h
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return len(s) > 0
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}
