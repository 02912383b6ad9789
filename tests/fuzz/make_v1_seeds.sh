#!/usr/bin/env bash
# Regenerates the binary rectifier.v1.ApplyRequest seeds of v1_request_fuzz from the text-format requests
# below (protoc --encode). Run from anywhere; writes tests/fuzz/corpus/v1_request_fuzz/.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/tests/fuzz/corpus/v1_request_fuzz"
mkdir -p "$out"
seed() {  # NAME TEXT-FORMAT-REQUEST
  printf '%s' "$2" | protoc --encode=rectifier.v1.ApplyRequest -I "$root/proto" rectifier/v1/rectifier.proto >"$out/$1"
}
# 4 float32 elements: -2, -0.5, 0.5, 2.
f32='data: "\000\000\000\300\000\000\000\277\000\000\000?\000\000\000@"'
seed relu_f32 "request_id: \"r1\" activation { relu {} } input { dtype: DATA_TYPE_FLOAT32 shape: [2, 2] $f32 }"
seed gelu_f32 "activation { gelu { approximate: \"tanh\" } } input { dtype: DATA_TYPE_FLOAT32 shape: [4] $f32 }"
seed prelu_model "model: \"stem_prelu\" input { dtype: DATA_TYPE_FLOAT16 shape: [1, 2] data: \"\\000\\274\\000<\" }"
seed crelu_i8 "activation { crelu { axis: 0 } } input { dtype: DATA_TYPE_INT8 shape: [2, 2] data: \"\\001\\377\\002\\376\" }"
seed hardtanh_bf16 "activation { hardtanh { min_val: -0.5 max_val: 0.5 } } input { dtype: DATA_TYPE_BFLOAT16 shape: [2] data: \"\\000\\300\\000@\" }"
seed sigmoid_i32 "activation { sigmoid {} } input { dtype: DATA_TYPE_INT32 shape: [1] data: \"\\005\\000\\000\\000\" }"
seed threshold_f64 "activation { threshold { threshold: 0.5 value: -1 } } input { dtype: DATA_TYPE_FLOAT64 shape: [1] data: \"\\000\\000\\000\\000\\000\\000\\360?\" }"
seed wrong_size "activation { relu {} } input { dtype: DATA_TYPE_FLOAT32 shape: [3] $f32 }"
seed both "activation { relu {} } model: \"relu\" input { dtype: DATA_TYPE_FLOAT32 shape: [4] $f32 }"
seed unknown_model "model: \"nope\" input { dtype: DATA_TYPE_FLOAT32 shape: [4] $f32 }"
seed negative_dim "activation { relu {} } input { dtype: DATA_TYPE_FLOAT32 shape: [-1, -4] $f32 }"
seed overflow "activation { relu {} } input { dtype: DATA_TYPE_INT8 shape: [4294967296, 4294967296, 4294967296] }"
seed over_limit "activation { crelu {} } input { dtype: DATA_TYPE_INT8 shape: [4096] }"
seed celu_zero "activation { celu { alpha: 0 } } input { dtype: DATA_TYPE_FLOAT32 shape: [4] $f32 }"
seed empty_tensor "activation { softplus { beta: 2 threshold: 10 } } input { dtype: DATA_TYPE_FLOAT32 shape: [0, 3] }"
