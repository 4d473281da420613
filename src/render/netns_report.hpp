// SPDX-License-Identifier: MIT
// What the reports of a run over every namespace (`doctor --netns all`, `summary --netns all`)
// say about where a namespace's numbers came from: a walk of its established hash, or only the
// reads that cost the same in every namespace. One wording for text and one JSON shape.
#pragma once

#include <string>

#include "model/netns.hpp"
#include "render/json_writer.hpp"

namespace tcpscope::render {

// "census: walked (2.2 ms of CPU; shares the host's established hash)" or "census: not walked:
// <why>; ...".
std::string census_line(const model::CensusSource& c);

// "census": {"hash": "shared", "ehash_entries": -262144, "walked": true, "walk_cpu_seconds":
// 0.0022, "not_walked": null}
void json_census(JsonWriter& w, const model::CensusSource& c);

// "container", "pod", "k8s_namespace" (null when unknown).
void json_names(JsonWriter& w, const model::NetnsNames& n);

}  // namespace tcpscope::render
