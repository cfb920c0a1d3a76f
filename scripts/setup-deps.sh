#!/usr/bin/env bash
# setup-deps.sh - install the Debian packages swerve needs to build and test.
#
# Idempotent: it asks dpkg first and calls apt-get only for what is missing,
# so a second run is quick and needs no network. Run as root (or via sudo).
set -euo pipefail

packages=(
	build-essential pkg-config clang clang-format clang-tidy cppcheck
	libevent-dev libssl-dev libsqlite3-dev libyaml-dev libjansson-dev
	libcurl4-openssl-dev libxml2-dev libidn2-dev libsystemd-dev
	libcmocka-dev
	python3 python3-pytest python3-aiosmtpd
	swaks libnet-ssleay-perl postfix openssl sslscan sqlite3 valgrind jq
	prometheus prometheus-alertmanager php-cli php-symfony-amazon-mailer
	python3-boto3 ruby-postmark
	php-symfony-mailgun-mailer php-symfony-postmark-mailer
	chromium chromium-driver python3-selenium python3-feedparser
	haproxy redis-server redis-sentinel libhiredis-dev
	gnuplot-nox # bench-only: bench/curves/ plots the scaling curves
	libc-ares-dev nsd
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "setup-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Postfix asks what kind of mail system this is; we only want its tools
# (smtp-source, smtp-sink) and a stock relay for benchmarks.
echo "postfix postfix/main_mailer_type select Local only" | $SUDO debconf-set-selections
echo "postfix postfix/mailname string localhost" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
