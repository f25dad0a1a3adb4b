#!/usr/bin/env bash
# Package the Chalice app as a SAM template wired to the resources stack (infra/resources.json).
#
#   infra/package.sh [--stage dev|prod] [--region REGION] [--project-dir DIR] OUTDIR
#
# Writes OUTDIR/sam.json and OUTDIR/deployment.zip; docs/deploy.md deploys them. Runs Chalice
# from $PYTHON (default python3, with requirements-dev.txt installed); Lambda's runtime follows
# that Python's version. No AWS credentials are needed.
set -euo pipefail

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }

stage=dev
region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
project=""
outdir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --stage) [ $# -ge 2 ] || usage; stage="$2"; shift 2 ;;
    --stage=*) stage="${1#*=}"; shift ;;
    --region) [ $# -ge 2 ] || usage; region="$2"; shift 2 ;;
    --region=*) region="${1#*=}"; shift ;;
    --project-dir) [ $# -ge 2 ] || usage; project="$2"; shift 2 ;;
    --project-dir=*) project="${1#*=}"; shift ;;
    -h|--help) usage 0 ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) [ -z "$outdir" ] || usage; outdir="$1"; shift ;;
  esac
done
[ -n "$outdir" ] || usage
case "$stage" in dev|prod) ;; *) echo "stage must be dev or prod, not $stage" >&2; exit 2 ;; esac

python="${PYTHON:-python3}"
infra="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$infra")"
project="$(cd "${project:-$root}" && pwd)"
[ -f "$project/app.py" ] || { echo "no app.py in $project" >&2; exit 1; }
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"

# Chalice names service principals after the region; it makes no AWS calls while packaging.
region="${region:-ap-east-1}"
export AWS_DEFAULT_REGION="$region"

# The merge template must be what render.py makes of the current table schema.
"$python" "$infra/render.py" --check

# Package a staged copy: only the code Lambda runs (app.py, chalicelib/, vendor/; never the
# development stack in devstack/ or the operator CLI in ops/), plus the deployment config from
# render.py. tests/infra/test_templates.py lists the bundle to check.
# Dependency wheels are cached across runs in build/chalice-deployments (ignored by git).
work="$(mktemp -d "${TMPDIR:-/tmp}/revisit-package.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/.chalice" "$root/build/chalice-deployments"
ln -s "$root/build/chalice-deployments" "$work/.chalice/deployments"
cp "$project/app.py" "$work/"
[ -f "$project/requirements.txt" ] && cp "$project/requirements.txt" "$work/"
for dir in chalicelib vendor; do
  [ -d "$project/$dir" ] && cp -R "$project/$dir" "$work/"
done
find "$work" -name __pycache__ -type d -prune -exec rm -rf {} +
"$python" "$infra/render.py" --chalice-config "$region" > "$work/.chalice/config.json"
# The China regions get their own merge: WeCom sign-in and Tencent Cloud SMS, no user pool, no SNS SMS.
case "$region" in cn-*) merge="$infra/chalice-merge-cn.json" ;; *) merge="$infra/chalice-merge.json" ;; esac

(
  cd "$work"
  "$python" -c 'import sys; from chalice.cli import main; sys.argv[0] = "chalice"; sys.exit(main())' \
    --project-dir "$work" package --stage "$stage" \
    --merge-template "$merge" "$outdir"
)

"$python" "$infra/check_sam.py" "$outdir/sam.json"
echo "packaged stage $stage for $region into $outdir"
