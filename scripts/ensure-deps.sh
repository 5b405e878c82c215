#!/usr/bin/env bash
# Installs the Debian packages ringlog builds and tests against, when run as root; otherwise prints
# the exact command. Swift itself (6.0 or later) must already be on PATH.
set -euo pipefail

packages=(libcurl4-openssl-dev libarchive-dev libssl-dev pkg-config python3 python3-yaml curl libarchive-tools)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        echo "ringlog: installing ${missing[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "ringlog: missing Debian packages. Install them with:" >&2
        echo "  sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "ringlog: swift is not on PATH. Install Swift 6 (https://www.swift.org/install/linux/) and retry." >&2
    exit 1
fi
