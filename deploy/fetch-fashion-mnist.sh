#!/usr/bin/env bash
# Makes the Fashion-MNIST dataset (four IDX .gz files) available to Averon and prints, on its last line, the
# directory that holds it. In order: use the Debian package's copy or an earlier download if complete and intact;
# else, as root with apt-get, install the package dataset-fashion-mnist; else download the official files into
# ${AVERON_CACHE:-~/.cache/averon}/fashion-mnist, checking each against its published MD5.
#
# Environment:
#   AVERON_CACHE              cache root (default ~/.cache/averon)
#   FASHION_MNIST_SYSTEM_DIR  where the Debian package puts the files (default /usr/share/datasets/fashion-mnist)
#   FASHION_MNIST_URL         download base URL, e.g. a mirror (default: the official S3 site)
set -euo pipefail

readonly DEFAULT_SYSTEM_DIR=/usr/share/datasets/fashion-mnist
readonly SYSTEM_DIR="${FASHION_MNIST_SYSTEM_DIR:-$DEFAULT_SYSTEM_DIR}"
readonly CACHE_DIR="${AVERON_CACHE:-$HOME/.cache/averon}/fashion-mnist"
readonly BASE_URL="${FASHION_MNIST_URL:-http://fashion-mnist.s3-website.eu-central-1.amazonaws.com}"
readonly FILES=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)

# MD5 of each file as published by Zalando (README of zalandoresearch/fashion-mnist).
declare -A PUBLISHED_MD5=(
  [train-images-idx3-ubyte.gz]=8d4fb7e6c68d591d4c3dfef9ec88bf0d
  [train-labels-idx1-ubyte.gz]=25c81989df183df01b3e8a0aad5dffbe
  [t10k-images-idx3-ubyte.gz]=bef4ecab320f06d8554ea6380940ec79
  [t10k-labels-idx1-ubyte.gz]=bb300cfdad3c16e7a12a480ee83cd310
)
# MD5 of each file's decompressed content. Debian's build rewrites gzip headers (drops the stored file name, resets
# the timestamp), so the packaged .gz files differ from the published MD5s above while holding the very same
# compressed data; comparing the content is what tells an intact copy from a damaged one in either place.
declare -A CONTENT_MD5=(
  [train-images-idx3-ubyte.gz]=f4a8712d7a061bf5bd6d2ca38dc4d50a
  [train-labels-idx1-ubyte.gz]=9018921c3c673c538a1fc5bad174d6f9
  [t10k-images-idx3-ubyte.gz]=8181f5470baa50b63fa0f6fddb340f0a
  [t10k-labels-idx1-ubyte.gz]=15d484375f8d13e6eb1aabb0c3f46965
)

say() { echo "fetch-fashion-mnist: $*" >&2; }

content_md5() { gzip -dc -- "$1" | md5sum | cut -d' ' -f1; }

# True when DIR holds all four files with the expected content; explains what is wrong otherwise.
complete() {
  local dir=$1 f sum
  if [[ ! -d $dir ]]; then
    say "$dir: no such directory"
    return 1
  fi
  for f in "${FILES[@]}"; do
    if [[ ! -s $dir/$f ]]; then
      say "$dir: $f is missing"
      return 1
    fi
    if ! sum=$(content_md5 "$dir/$f" 2>/dev/null) || [[ $sum != "${CONTENT_MD5[$f]}" ]]; then
      say "$dir: $f is damaged (content md5 ${sum:-unreadable}, expected ${CONTENT_MD5[$f]})"
      return 1
    fi
  done
}

for dir in "$SYSTEM_DIR" "$CACHE_DIR"; do
  if complete "$dir"; then
    say "Fashion-MNIST is already present and intact in $dir"
    echo "$dir"
    exit 0
  fi
done

# The package only helps when the caller wants its standard location.
if [[ $SYSTEM_DIR == "$DEFAULT_SYSTEM_DIR" && $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  say "installing the Debian package dataset-fashion-mnist with apt-get"
  if apt-get install -y dataset-fashion-mnist >&2 && complete "$SYSTEM_DIR"; then
    say "installed Fashion-MNIST into $SYSTEM_DIR"
    echo "$SYSTEM_DIR"
    exit 0
  fi
  say "apt-get did not provide the dataset; downloading it instead"
fi

command -v curl >/dev/null || { say "ERROR: curl is needed to download Fashion-MNIST"; exit 1; }
mkdir -p -- "$CACHE_DIR"
partial=""
trap 'if [[ -n $partial ]]; then rm -f -- "$partial"; fi' EXIT
for f in "${FILES[@]}"; do
  target=$CACHE_DIR/$f
  if [[ -s $target ]] && [[ $(md5sum < "$target" | cut -d' ' -f1) == "${PUBLISHED_MD5[$f]}" ]]; then
    say "$f: already downloaded and verified"
    continue
  fi
  # A temporary name in the same directory: the rename is atomic, so a reader never sees half a file.
  partial=$(mktemp -- "$CACHE_DIR/.$f.XXXXXX")
  say "downloading $BASE_URL/$f"
  if ! curl -fsSL --retry 3 --connect-timeout 20 -o "$partial" -- "$BASE_URL/$f"; then
    say "ERROR: download of $BASE_URL/$f failed"
    exit 1
  fi
  sum=$(md5sum < "$partial" | cut -d' ' -f1)
  if [[ $sum != "${PUBLISHED_MD5[$f]}" ]]; then
    rm -f -- "$partial"
    partial=""
    say "ERROR: $f from $BASE_URL has md5 $sum, expected ${PUBLISHED_MD5[$f]}; deleted it"
    exit 1
  fi
  chmod 644 -- "$partial"
  mv -f -- "$partial" "$target"
  partial=""
  say "$f: downloaded $(stat -c %s -- "$target") bytes, md5 ${PUBLISHED_MD5[$f]} verified"
done
say "Fashion-MNIST is in $CACHE_DIR"
echo "$CACHE_DIR"
