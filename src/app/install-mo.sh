#!/bin/sh
# Installs each language's build/src/app/LANG.mo as
# LOCALEDIR/LANG/LC_MESSAGES/usdtpay.mo (meson's custom_target cannot rename).
set -eu
localedir="$1"
shift
case "$localedir" in
  /*) ;;
  *) localedir="${MESON_INSTALL_PREFIX}/${localedir}" ;;
esac
for lang in "$@"; do
  install -D -m 0644 "${MESON_BUILD_ROOT}/src/app/${lang}.mo" \
    "${DESTDIR:-}${localedir}/${lang}/LC_MESSAGES/usdtpay.mo"
done
