#!/usr/bin/env bash
# Regenerates the binary inference.ModelInferRequest seeds of oip_request_fuzz from the text-format requests
# below (protoc --encode). Run from anywhere; writes tests/fuzz/corpus/oip_request_fuzz/.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/tests/fuzz/corpus/oip_request_fuzz"
mkdir -p "$out"
seed() {  # NAME TEXT-FORMAT-REQUEST
  printf '%s' "$2" | protoc --encode=inference.ModelInferRequest -I "$root/proto" inference/grpc_service.proto >"$out/$1"
}
# 4 float32 elements: -2, -0.5, 0.5, 2.
f32='raw_input_contents: "\000\000\000\300\000\000\000\277\000\000\000?\000\000\000@"'
seed relu_raw "model_name: \"relu\" id: \"r1\" inputs { name: \"input\" datatype: \"FP32\" shape: [2, 2] } $f32"
seed relu_typed "model_name: \"relu\" inputs { name: \"input\" datatype: \"FP32\" shape: [3] contents { fp32_contents: [-1, 0, 1] } }"
seed leaky_param "model_name: \"leaky_relu\" model_version: \"1\" parameters { key: \"negative_slope\" value { double_param: 0.2 } } inputs { name: \"x\" datatype: \"FP32\" shape: [4] } $f32"
seed gelu_tanh "model_name: \"gelu\" parameters { key: \"approximate\" value { string_param: \"tanh\" } } inputs { name: \"input\" datatype: \"FP64\" shape: [1] contents { fp64_contents: [0.5] } }"
seed prelu_weight "model_name: \"prelu\" inputs { name: \"input\" datatype: \"FP32\" shape: [1, 2, 2] } inputs { name: \"weight\" datatype: \"FP32\" shape: [2] contents { fp32_contents: [0.1, 0.2] } } $f32"
seed prelu_model "model_name: \"stem_prelu\" inputs { name: \"input\" datatype: \"FP16\" shape: [1, 3] } raw_input_contents: \"\\000\\274\\000<\\000\\000\""
seed crelu_int8 "model_name: \"crelu\" parameters { key: \"axis\" value { int64_param: 0 } } inputs { name: \"input\" datatype: \"INT8\" shape: [2, 2] contents { int_contents: [1, -1, 2, -2] } }"
seed sigmoid_uint8 "model_name: \"sigmoid\" inputs { name: \"input\" datatype: \"UINT8\" shape: [2] contents { uint_contents: [0, 255] } } outputs { name: \"output\" }"
seed bf16_raw "model_name: \"hardtanh\" inputs { name: \"input\" datatype: \"BF16\" shape: [2] } raw_input_contents: \"\\000\\300\\000@\""
seed int64_typed "model_name: \"threshold\" parameters { key: \"threshold\" value { double_param: 0.5 } } parameters { key: \"value\" value { double_param: -1 } } inputs { name: \"input\" datatype: \"INT64\" shape: [2] contents { int64_contents: [0, 3] } }"
seed unknown_model "model_name: \"nope\" inputs { name: \"input\" datatype: \"FP32\" shape: [4] } $f32"
seed bad_version "model_name: \"relu\" model_version: \"2\" inputs { name: \"input\" datatype: \"FP32\" shape: [4] } $f32"
seed bad_output "model_name: \"relu\" inputs { name: \"input\" datatype: \"FP32\" shape: [4] } outputs { name: \"logits\" } $f32"
seed wrong_size "model_name: \"relu\" inputs { name: \"input\" datatype: \"FP32\" shape: [3] } $f32"
seed mixed_contents "model_name: \"relu\" inputs { name: \"input\" datatype: \"FP32\" shape: [4] contents { fp32_contents: [1, 2, 3, 4] } } $f32"
seed negative_dim "model_name: \"relu\" inputs { name: \"input\" datatype: \"FP32\" shape: [-1, -4] } $f32"
seed overflow "model_name: \"relu\" inputs { name: \"input\" datatype: \"INT8\" shape: [4294967296, 4294967296, 4294967296] }"
seed bytes_type "model_name: \"relu\" inputs { name: \"input\" datatype: \"BYTES\" shape: [1] contents { bytes_contents: \"x\" } }"
seed unknown_param "model_name: \"elu\" parameters { key: \"beta\" value { double_param: 1 } } inputs { name: \"input\" datatype: \"FP32\" shape: [4] } $f32"
seed empty_tensor "model_name: \"softplus\" inputs { name: \"input\" datatype: \"FP32\" shape: [0, 3] } raw_input_contents: \"\""
