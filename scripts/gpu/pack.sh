#!/usr/bin/env bash
# Here (the CPU machine): publishes the eegdino app and the Cuda tests for the GPU machine, checks
# the published programs on this CPU, and packs everything one device call needs into the main
# checkout's ignored folder .gpu/ (the device call ships that checkout, 64 MiB at most). See docs/gpu.md.
#
#   scripts/gpu/pack.sh [DEST]        (DEST defaults to <main checkout>/.gpu)
#
# One publish (the test project, referencing the app's assembly through device-pack.targets):
# self-contained for linux-x64, trimmed (TrimMode=partial: only the .NET runtime's own assemblies are
# trimmed; ML.NET, TorchSharp and this project's assemblies are kept whole), reflection-based JSON on
# as in an untrimmed app. Left out: libtorch's natives and the CPU libLibTorchSharp.so (the GPU machine
# supplies its PyTorch; run.sh builds LibTorchSharp against it), the LightGbm/Skia/HarfBuzz natives,
# the demo's data, model and fonts, the test data (run.sh links the checkout's), code coverage,
# debugger and alternative-GC natives, XML docs. Environment: EEGDINO_GPU_SHARED (the folder with
# the TorchSharp native source and peer/; default <main checkout>/../shared/gpu),
# EEGDINO_PACK_VERIFY=0 skips the checks on this CPU.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
main=$(dirname "$(git -C "$repo" rev-parse --path-format=absolute --git-common-dir)")
dest=${1:-$main/.gpu}
shared=${EEGDINO_GPU_SHARED:-$main/../shared/gpu}
limit=$((64 << 20))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { echo "pack: $*"; }

for f in "$shared/TorchSharp-0.107.0-native-src.tar.xz" "$shared/peer/pytorch_peer.py" "$shared/peer/eegdino.py" "$shared/peer/blocks.py"; do
  [[ -f $f ]] || { echo "pack: $f is missing (set EEGDINO_GPU_SHARED)" >&2; exit 1; }
done

say "copying the working tree of $repo"
mkdir -p "$work/src"
(cd "$repo" && git ls-files -z -co --exclude-standard | tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$work/src"

say "publishing (self-contained linux-x64, trimmed; a few minutes)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet publish "$work/src/test/EegDino.ML.Tests/EegDino.ML.Tests.csproj" -c Release -r linux-x64 --self-contained \
  -p:EnableMSTestRunner=true -p:PublishTrimmed=true -p:TrimMode=partial -p:SuppressTrimAnalysisWarnings=true \
  -p:TreatWarningsAsErrors=false -p:JsonSerializerIsReflectionEnabledByDefault=true -p:SatelliteResourceLanguages=en \
  -p:CustomAfterMicrosoftCommonTargets="$work/src/scripts/gpu/device-pack.targets" \
  -o "$work/publish" -v q -nologo > "$work/publish.log" 2>&1 || { tail -30 "$work/publish.log" >&2; exit 1; }
pub=$work/publish
# The app starts from the same folder: its host needs a deps file listing the folder's assemblies.
cp "$pub/EegDino.ML.Tests.deps.json" "$pub/eegdino.deps.json"

# Everything the GPU machine does not need (kept here for the checks below: the CPU natives).
gpu_only=(
  'libtorch*.so' 'libc10*.so' 'libgomp*' libLibTorchSharp.so libaoti_custom_ops.so libbackend_with_compiler.so
  libjitbackend_test.so libnnapi_backend.so libshm.so
)
never=(
  lib_lightgbm.so libSkiaSharp.so libHarfBuzzSharp.so 'libonnxruntime*.so' onnxruntime.dll '*.dbg' '*.xml' createdump libmscordaccore.so libmscordbi.so
  libclrgc.so libclrgcexp.so libcoreclrtraceptprovider.so 'Microsoft.CodeCoverage*' Microsoft.Testing.Extensions.CodeCoverage.dll
  Microsoft.VisualStudio.CodeCoverage.Shim.dll libCoverageInstrumentationMethod.so libInstrumentationEngine.so Cov_x64.config
  Microsoft.Testing.Extensions.Telemetry.dll Microsoft.ApplicationInsights.dll 'EegDino.ML.ModelLoadProbe*'
  Microsoft.TestPlatform.CrossPlatEngine.dll Microsoft.TestPlatform.CommunicationUtilities.dll
  Microsoft.VisualStudio.TestPlatform.Common.dll Microsoft.TestPlatform.Utilities.dll testhost.dll Microsoft.DiaSymReader.dll
  Data Models Fonts TestData
)
(cd "$pub" && for p in "${never[@]}"; do rm -rf -- $p; done)

if [[ ${EEGDINO_PACK_VERIFY:-1} != 0 ]]; then
  say "checking the published programs on this CPU"
  ln -s "$repo/test/EegDino.ML.Tests/TestData" "$pub/TestData"
  fx=$repo/test/EegDino.ML.Tests/TestData/fixtures
  "$pub/eegdino" encode --model "$fx/tiny.weights.safetensors" --config "$fx/tiny.json" --input "$fx/tiny.io.safetensors" \
    --output "$work/tiny.out.safetensors" --scale 1 > "$work/check.log" 2>&1 || { cat "$work/check.log" >&2; exit 1; }
  # The trimmed runtime with the real network, ML.NET persistence and JSON, and the Cuda tests' skip path.
  (cd "$pub" && ./EegDino.ML.Tests --progress off --no-ansi --results-directory "$work/results" \
     --filter "(FullyQualifiedName~Model.FixtureParityTests|FullyQualifiedName~EmbeddingFixtureParityTests|FullyQualifiedName~SavedAndLoadedInProcess|FullyQualifiedName~EmbeddingJobTests|TestCategory=Cuda)&FullyQualifiedName!~Onnx") \
     > "$work/check.log" 2>&1 || { tail -40 "$work/check.log" >&2; exit 1; }
  grep -E "^\s+(total|failed|succeeded|skipped):" "$work/check.log" | tr -s ' ' | paste -sd' ' | sed 's/^/pack: checked: /' || true
  rm -rf "$pub/TestData" "$pub/cpu" "$pub/TestResults"
fi
(cd "$pub" && for p in "${gpu_only[@]}"; do rm -rf -- $p; done)

say "packing into $dest"
mkdir -p "$dest/peer" "$dest/cache"
rm -f "$dest/eegdino-gpu.tar.xz"
tar -C "$pub" -cf - . | xz -9e -T2 > "$dest/eegdino-gpu.tar.xz"
install -m 0644 "$shared/TorchSharp-0.107.0-native-src.tar.xz" "$dest/"
install -m 0755 "$here/run.sh" "$here/gpu_parity.py" "$dest/"
install -m 0644 "$shared/peer/pytorch_peer.py" "$shared/peer/eegdino.py" "$shared/peer/blocks.py" "$dest/peer/"
{
  echo "packed $(date -u +%Y-%m-%dT%H:%MZ) from $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD || echo '+changes') ($(git -C "$repo" rev-parse --abbrev-ref HEAD))"
  echo "app+tests: $(du -sb "$pub" | cut -f1) bytes unpacked, $(stat -c %s "$dest/eegdino-gpu.tar.xz") packed"
  echo "cache: $(cat "$dest/cache/libLibTorchSharp.key" 2>/dev/null || echo 'none (run.sh builds libLibTorchSharp.so)')"
} > "$dest/PACK.txt"

# The folder must stay out of git in every worktree (they share the main checkout's info/exclude).
exclude=$main/.git/info/exclude
mkdir -p "$(dirname "$exclude")"
grep -qxF '/.gpu/' "$exclude" 2>/dev/null || echo '/.gpu/' >> "$exclude"

# What a device call ships: the main checkout's tracked and untracked-not-ignored files, plus .gpu.
tree=$(cd "$main" && git ls-files -z -co --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
pack=$(du -sb "$dest" | cut -f1)
cat "$dest/PACK.txt" | sed 's/^/pack: /'
say "a call ships $tree (checkout) + $pack (.gpu) = $((tree + pack)) bytes of $limit ($(( (limit - tree - pack) >> 10 )) KiB left)"
(( tree + pack <= limit )) || say "over the 64 MiB a device call takes: hold the files the GPU does not need during the call (bash scripts/gpu/hold.sh, then --restore)"
say "device call: run(command='bash .gpu/run.sh', carry=['.gpu'])"
