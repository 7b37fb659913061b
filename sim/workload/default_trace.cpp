// The built-in default workload. The text below is a byte-for-byte copy of
// workloads/default.csv; tests/unit/test_trace.cpp fails if the two differ, so edit both.
#include "sim/workload/default_trace.hpp"

#include "sim/workload/workload.hpp"

namespace tpesim {

std::string_view default_trace_text() {
  static constexpr std::string_view kText = R"csv(
# tpesim-trace v1
# name: llama2-7b-slice
#
# The built-in default workload (compiled into tpesim: sim/workload/default_trace.cpp holds a
# byte-for-byte copy of this file and a unit test checks that the two agree; edit both).
#
# A small slice of Llama-2-7B (Touvron et al. 2023, "Llama 2: Open Foundation and Fine-Tuned
# Chat Models", arXiv:2307.09288; shapes from the Hugging Face config of meta-llama/Llama-2-7b-hf:
# hidden_size 4096, intermediate_size 11008, num_attention_heads 32 (head_dim 4096/32 = 128),
# num_hidden_layers 32, vocab_size 32000): decoder layer 0 on a prefill of T = 4 tokens.
# Every row is a whole, real GEMM of that layer (none is cut down):
#   L0.q_proj   query projection   M = T, N = 4096, K = 4096
#   L0.attn_qk  Q x K^T per head   M = T, N = T,    K = 128,  count = 32 heads
#   L0.attn_pv  P x V per head     M = T, N = 128,  K = T,    count = 32 heads
# To change the token count T, edit M of all three rows, N of L0.attn_qk and K of L0.attn_pv.
# MACs at T = 4: 4*4096*4096 = 67,108,864; 4*4*128*32 = 65,536; 4*128*4*32 = 65,536;
# total 67,239,936.
name,M,N,K,count,weight_dtype,act_dtype,group_size,kind
L0.q_proj,4,4096,4096,1,int8,int8,0,static
L0.attn_qk,4,4,128,32,int8,int8,0,dynamic
L0.attn_pv,4,128,4,32,int8,int8,0,dynamic
)csv";
  return kText.substr(1);  // drop the newline after the raw string's opening delimiter
}

Workload default_workload() {
  Workload w = parse_trace(std::string(default_trace_text()), "workloads/default.csv (built-in)");
  w.source = "<built-in>";
  return w;
}

}  // namespace tpesim
