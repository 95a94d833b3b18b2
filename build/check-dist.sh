#!/usr/bin/env bash
# Checks what `make dist` made, the way an operator meets it (.ci/run runs this after it):
#   - the .deb installed with dpkg: files, the flumego user, /var/lib/flumego, the unit enabled
#     and verified by systemd-analyze, the shipped config valid; an upgrade from an older
#     version keeps an edited config and the state directory; dpkg --purge removes the user and
#     the unit and says what it leaves in /var/lib/flumego;
#   - the .rpm's file list and scripts (rpm -qp);
#   - the OCI image (skopeo inspect): entry point, non-root user, one layer, both architectures;
#   - reproducibility: the amd64 artifacts again from a fresh clone with an empty build cache
#     are byte-identical.
# Each part needing a tool that is missing (dpkg as root, rpm, skopeo, systemd-analyze) is
# skipped with a message.
#
#   build/check-dist.sh [DIST]        DIST defaults to dist/
set -euo pipefail
cd "$(dirname "$0")/.."
dist=$(cd "${1:-dist}" && pwd)
version=$(cat VERSION)
fail=0
ok() { echo "  ok: $*"; }
bad() { echo "  FAIL: $*"; fail=1; }
skip() { echo "  skipped: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== dist: the .deb"
deb="$dist/flumego_${version}-1_amd64.deb"
if [ "$(id -u)" != 0 ] || ! command -v dpkg >/dev/null || [ "$(dpkg --print-architecture 2>/dev/null)" != amd64 ]; then
	skip "installing the .deb needs root and dpkg on amd64"
elif dpkg -s flumego >/dev/null 2>&1; then
	skip "a flumego package is already installed on this machine; not touching it"
else
	# An older version first, so that installing this one is an upgrade.
	(cd tools/dist && go run . -root ../.. -out "$tmp/old" -version 0.0.1 -arch amd64 >/dev/null)
	dpkg -i "$tmp/old/flumego_0.0.1-1_amd64.deb" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; bad "dpkg -i of the older version"; }
	echo "# edited by the operator" >>/etc/flumego/flume.hcl
	echo '{"buffered": true}' >/var/lib/flumego/operator-state.json
	if dpkg -i "$deb" >"$tmp/upgrade.log" 2>&1; then ok "dpkg -i $(basename "$deb") over 0.0.1"; else cat "$tmp/upgrade.log"; bad "dpkg -i (upgrade)"; fi
	grep -q "edited by the operator" /etc/flumego/flume.hcl && ok "the upgrade kept the edited /etc/flumego/flume.hcl" || bad "the upgrade replaced /etc/flumego/flume.hcl"
	[ -f /var/lib/flumego/operator-state.json ] && ok "the upgrade kept /var/lib/flumego" || bad "the upgrade lost /var/lib/flumego's contents"
	[ "$(dpkg-query -W -f='${Version}' flumego)" = "${version}-1" ] && ok "installed version ${version}-1" || bad "installed version $(dpkg-query -W -f='${Version}' flumego)"
	for f in /usr/bin/agent /lib/systemd/system/flumego-agent.service /etc/flumego/flume.hcl /usr/share/doc/flumego/copyright /usr/share/doc/flumego/THIRD_PARTY_LICENSES; do
		[ -e "$f" ] && ok "$f" || bad "$f is missing"
	done
	dpkg-query -W -f='${Conffiles}\n' flumego | grep -q /etc/flumego/flume.hcl && ok "/etc/flumego/flume.hcl is a conffile" || bad "/etc/flumego/flume.hcl is not a conffile"
	if uid=$(id -u flumego 2>/dev/null) && [ "$uid" -lt 1000 ]; then ok "system user flumego ($uid)"; else bad "no flumego system user"; fi
	[ "$(stat -c '%U:%G %a' /var/lib/flumego)" = "flumego:flumego 750" ] && ok "/var/lib/flumego owned by flumego, 0750" || bad "/var/lib/flumego is $(stat -c '%U:%G %a' /var/lib/flumego)"
	[ -L /etc/systemd/system/multi-user.target.wants/flumego-agent.service ] && ok "the unit is enabled" || bad "the unit is not enabled"
	if [ -d /run/systemd/system ] && systemctl is-active --quiet flumego-agent.service; then bad "the unit was started"; else ok "the unit is not started"; fi
	if command -v systemd-analyze >/dev/null; then
		out=$(systemd-analyze verify /lib/systemd/system/flumego-agent.service 2>&1) || true
		if echo "$out" | grep -q flumego-agent.service; then echo "$out"; bad "systemd-analyze verify"; else ok "systemd-analyze verify of the installed unit"; fi
	else
		skip "systemd-analyze is not installed (Debian package systemd)"
	fi
	/usr/bin/agent validate -f /etc/flumego/flume.hcl && ok "agent validate of the shipped config" || bad "agent validate -f /etc/flumego/flume.hcl"
	/usr/bin/agent version | grep -q "flumego agent ${version} (commit " && ok "$(/usr/bin/agent version)" || bad "agent version: $(/usr/bin/agent version)"
	dpkg --purge flumego >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log"; bad "dpkg --purge"; }
	! id flumego >/dev/null 2>&1 && ok "purge removed the flumego user" || bad "purge left the flumego user"
	[ ! -e /lib/systemd/system/flumego-agent.service ] && [ ! -L /etc/systemd/system/multi-user.target.wants/flumego-agent.service ] &&
		ok "purge removed the unit and its enablement" || bad "purge left the unit"
	[ -f /var/lib/flumego/operator-state.json ] && grep -q "/var/lib/flumego is left in place" "$tmp/purge.log" &&
		ok "purge kept /var/lib/flumego and said so: $(grep 'left in place' "$tmp/purge.log")" || { cat "$tmp/purge.log"; bad "purge did not keep /var/lib/flumego or did not say so"; }
	rm -rf /var/lib/flumego
fi

echo "== dist: the .rpm"
if command -v rpm >/dev/null; then
	for arch in x86_64 aarch64; do
		rpmf="$dist/flumego-${version}-1.${arch}.rpm"
		want=$'/etc/flumego/flume.hcl\n/lib/systemd/system/flumego-agent.service\n/usr/bin/agent\n/usr/share/doc/flumego/NOTICE\n/usr/share/doc/flumego/README.md\n/usr/share/doc/flumego/THIRD_PARTY_LICENSES\n/usr/share/doc/flumego/copyright'
		[ "$(rpm -qpl "$rpmf" 2>/dev/null)" = "$want" ] && ok "rpm -qpl $(basename "$rpmf")" || bad "rpm -qpl $(basename "$rpmf"): $(rpm -qpl "$rpmf" 2>&1)"
		[ "$(rpm -qp --qf '%{ARCH} %{VERSION}-%{RELEASE}' "$rpmf" 2>/dev/null)" = "$arch ${version}-1" ] && ok "$arch ${version}-1" || bad "rpm header of $rpmf"
		rpm -qp --configfiles "$rpmf" 2>/dev/null | grep -qx /etc/flumego/flume.hcl && ok "/etc/flumego/flume.hcl is %config(noreplace)" || bad "flume.hcl is not a config file in $rpmf"
		rpm -qp --scripts "$rpmf" 2>/dev/null | grep -q "useradd --system" && ok "its postinstall creates the user" || bad "no user creation in $rpmf's scripts"
	done
else
	skip "rpm is not installed (Debian package rpm)"
fi

echo "== dist: the OCI image"
if command -v skopeo >/dev/null; then
	ref="oci:$dist/flumego-${version}-oci:${version}"
	for arch in amd64 arm64; do
		cfg=$(skopeo --override-arch "$arch" inspect --config "$ref")
		got=$(echo "$cfg" | python3 -c 'import json,sys; c=json.load(sys.stdin); k=c["config"]; print(c["architecture"], k.get("User"), json.dumps(k.get("Entrypoint")), len(c["rootfs"]["diff_ids"]))')
		[ "$got" = "$arch 65532:65532 [\"/usr/bin/agent\"] 1" ] && ok "$arch: user 65532, entry point /usr/bin/agent, one layer" || bad "$arch image config: $got"
	done
	skopeo inspect "oci-archive:$dist/flumego-${version}-oci.tar:${version}" | grep -q "\"org.opencontainers.image.version\": \"${version}\"" &&
		ok "the oci-archive tarball carries the labels" || bad "oci-archive inspect"
	# The image's files: what the Dockerfile's last stage copies, nothing else.
	skopeo copy -q "$ref" "dir:$tmp/img" >/dev/null
	layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"].split(":")[1])' "$tmp/img/manifest.json")
	files=$(tar -tzvf "$tmp/img/$layer" | awk '{print $1, $2, $6}' | sort)
	for want in "-rwxr-xr-x 0/0 usr/bin/agent" "-rw-r--r-- 0/0 etc/flumego/flume.hcl" "-rw-r--r-- 0/0 etc/passwd" "drwxr-xr-x 65532/65532 var/lib/flumego/"; do
		echo "$files" | grep -qxF -- "$want" && ok "layer has $want" || bad "layer lacks $want:
$files"
	done
else
	skip "skopeo is not installed (Debian package skopeo)"
fi

echo "== dist: reproducible"
if [ "${FLUMEGO_SKIP_REPRODUCIBLE:-}" = 1 ]; then
	skip "FLUMEGO_SKIP_REPRODUCIBLE=1"
else
	git clone -q . "$tmp/src"
	start=$(date +%s)
	(cd "$tmp/src/tools/dist" && GOCACHE="$tmp/gocache" go run . -root ../.. -out "$tmp/again" -arch amd64 >/dev/null)
	echo "  (second build from a fresh clone with an empty build cache: $(($(date +%s) - start)) s)"
	for f in "flumego-${version}-linux-amd64.tar.gz" "flumego_${version}-1_amd64.deb" "flumego-${version}-1.x86_64.rpm"; do
		cmp -s "$dist/$f" "$tmp/again/$f" && ok "$f is byte-identical" || bad "$f differs between two builds of one commit"
	done
	cmp -s "$dist/work/linux-amd64/agent" "$tmp/again/work/linux-amd64/agent" && ok "the amd64 binary is byte-identical" || bad "the amd64 binary differs"
	chmod -R u+w "$tmp/gocache" 2>/dev/null || true
fi

[ "$fail" = 0 ] && echo "dist: every check passed" || { echo "dist: some checks failed"; exit 1; }
