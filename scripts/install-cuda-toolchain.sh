#!/usr/bin/env bash
# Installs Debian's CUDA toolkit (nvcc 11.8, the CUDA headers and libcuda1)
# for `make ptx`, `make ptx-check`, `make cuda` and `go vet -tags cuda`.
#
# Debian bookworm ships it in the contrib and non-free components, which a
# fresh machine usually lacks: this script adds them to the Debian archive
# entries (deb822 /etc/apt/sources.list.d/debian.sources or one-line
# /etc/apt/sources.list, whichever exists), then installs
# nvidia-cuda-toolkit without its Recommends (those pull Nsight, DKMS and
# kernel headers: about 2.4 GB instead of 1.6 GB).
#
# Idempotent: it does nothing when nvcc is already on PATH or in Debian's
# toolkit folder, and a second run leaves the sources unchanged.
# Needs root (or sudo). About 3 minutes on a fast mirror.
set -euo pipefail

if command -v nvcc >/dev/null 2>&1 || [ -x /usr/lib/nvidia-cuda-toolkit/bin/nvcc ]; then
	echo "install-cuda-toolchain: nvcc already present: $(command -v nvcc || echo /usr/lib/nvidia-cuda-toolkit/bin/nvcc)"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || { echo "install-cuda-toolchain: needs root or sudo" >&2; exit 1; }
	SUDO="sudo"
fi

# add_components_deb822 FILE: on every Components: line of a stanza whose
# URIs point at the Debian archive (not debian-security), append contrib
# and non-free where missing.
add_components_deb822() {
	local f=$1 tmp
	tmp=$(mktemp)
	awk '
		function flush(   i, line, n, have) {
			for (i = 1; i <= nl; i++) {
				line = buf[i]
				if (isdeb && line ~ /^Components:/) {
					n = split(line, w, /[ \t]+/)
					delete have
					for (j = 2; j <= n; j++) have[w[j]] = 1
					if (!("contrib" in have)) line = line " contrib"
					if (!("non-free" in have)) line = line " non-free"
				}
				print line
			}
			nl = 0; isdeb = 0
		}
		/^[ \t]*$/ { flush(); print; next }
		{
			buf[++nl] = $0
			if ($0 ~ /^URIs:/ && $0 ~ /debian/ && $0 !~ /debian-security/) isdeb = 1
		}
		END { flush() }
	' "$f" >"$tmp"
	if ! cmp -s "$f" "$tmp"; then
		$SUDO cp "$tmp" "$f"
		echo "install-cuda-toolchain: added contrib non-free to $f"
	fi
	rm -f "$tmp"
}

# add_components_list FILE: the same for one-line "deb URI suite comps"
# entries of the Debian archive.
add_components_list() {
	local f=$1 tmp
	tmp=$(mktemp)
	awk '
		/^[ \t]*deb(-src)?[ \t]/ && /debian/ && !/debian-security/ {
			line = $0
			n = split($0, w, /[ \t]+/)
			delete have
			for (j = 1; j <= n; j++) have[w[j]] = 1
			if (!("contrib" in have)) line = line " contrib"
			if (!("non-free" in have)) line = line " non-free"
			print line
			next
		}
		{ print }
	' "$f" >"$tmp"
	if ! cmp -s "$f" "$tmp"; then
		$SUDO cp "$tmp" "$f"
		echo "install-cuda-toolchain: added contrib non-free to $f"
	fi
	rm -f "$tmp"
}

found=0
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
	add_components_deb822 /etc/apt/sources.list.d/debian.sources
	found=1
fi
if [ -f /etc/apt/sources.list ] && grep -Eq '^[[:space:]]*deb[[:space:]].*debian' /etc/apt/sources.list; then
	add_components_list /etc/apt/sources.list
	found=1
fi
if [ "$found" -eq 0 ]; then
	echo "install-cuda-toolchain: no Debian apt sources found (looked at /etc/apt/sources.list.d/debian.sources and /etc/apt/sources.list)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends nvidia-cuda-toolkit

if ! command -v nvcc >/dev/null 2>&1; then
	echo "install-cuda-toolchain: nvcc not on PATH after the install" >&2
	exit 1
fi
nvcc --version | tail -n 2
