// SPDX-License-Identifier: MIT
#include "diag/request.hpp"

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>

#include <cstring>

namespace tcpscope::diag {

std::span<const std::byte> build_dump_request(const model::DumpRequest& req, uint32_t seq,
                                              std::vector<std::byte>& out) {
  const size_t need = MNL_ALIGN(sizeof(nlmsghdr)) + MNL_ALIGN(sizeof(inet_diag_req_v2)) +
                      MNL_ATTR_HDRLEN + MNL_ALIGN(req.bytecode.size());
  out.assign(need, std::byte{0});
  nlmsghdr* nlh = mnl_nlmsg_put_header(out.data());
  nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = seq;
  auto* r =
      static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
  r->sdiag_family = req.family;
  r->sdiag_protocol = req.protocol;
  r->idiag_ext = req.ext;
  r->idiag_states = req.states;
  if (!req.bytecode.empty()) {
    mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, req.bytecode.size(), req.bytecode.data());
  }
  return {out.data(), nlh->nlmsg_len};
}

}  // namespace tcpscope::diag
